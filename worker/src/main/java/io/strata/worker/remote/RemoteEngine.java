package io.strata.worker.remote;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * A replica's engine as a coordinator sees it: requests go to the replica's head worker over Aeron
 * ({@link EngineWire}), events come back on this coordinator's channel and reach each request's listener on this
 * engine's one receiver thread. The head's STATS are the heartbeat: when none arrive for
 * {@link #HEARTBEAT_TIMEOUT_MILLIS}, or when {@link #fail} is called (the control plane saw a rank leave), every
 * request in flight fails with the reason and new ones are refused until the head is heard again.
 */
public final class RemoteEngine implements InferenceEngine {
    public static final long HEARTBEAT_TIMEOUT_MILLIS = 3000;
    public static final long HELLO_INTERVAL_MILLIS = 500;
    private static final Logger LOG = Logger.getLogger(RemoteEngine.class.getName());

    private final String name;
    private final int contextSize;
    private final int vocabSize;
    private final String replyChannel;
    private final int replyStream;
    private final Publication requests;
    private final Subscription replies;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onReply);
    private final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(64 * 1024);
    private final ExpandableDirectByteBuffer hello = new ExpandableDirectByteBuffer(8192);
    private final Map<Long, Remote> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong nextKey = new AtomicLong(ThreadLocalRandom.current().nextLong() & 0x7fff_ffff_0000_0000L);
    private final Thread receiver;
    private volatile boolean running = true;
    private volatile EngineWire.Stats lastStats;
    private volatile long lastHeardNanos;
    private volatile String down = "the head worker has not been heard from yet";
    private volatile long malformed;

    /**
     * @param name         for errors: which replica this is
     * @param headChannel  the head worker's Aeron channel
     * @param replyChannel this coordinator's channel, where the head sends events
     * @param replyStream  this replica's stream on it
     */
    public RemoteEngine(Aeron aeron, String name, String headChannel, String replyChannel, int replyStream,
                        int contextSize, int vocabSize) {
        this.name = name;
        this.contextSize = contextSize;
        this.vocabSize = vocabSize;
        this.replyChannel = replyChannel;
        this.replyStream = replyStream;
        this.replies = aeron.addSubscription(replyChannel, replyStream);
        this.requests = aeron.addPublication(headChannel, EngineWire.REQUEST_STREAM);
        this.receiver = Thread.ofPlatform().name("strata-remote-" + name).daemon(true).start(this::run);
    }

    /** True while the head answers: connected and heard within the heartbeat timeout. */
    public boolean isUp() {
        return down == null && requests.isConnected()
                && System.nanoTime() - lastHeardNanos < TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_TIMEOUT_MILLIS);
    }

    /** Why it is not up, or null. */
    public String downReason() {
        if (down != null) {
            return down;
        }
        return isUp() ? null : "the head worker of " + name + " has not answered for "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastHeardNanos) + " ms";
    }

    /** Requests this engine has in flight (sent, not yet finished). */
    public int inFlight() { return inFlight.size(); }

    public long malformedMessages() { return malformed; }

    /** Marks the head lost: fails every request in flight with {@code reason}; it is up again once heard. */
    public void fail(String reason) {
        down = reason;
        for (Long key : inFlight.keySet()) {
            Remote r = inFlight.remove(key);
            if (r != null) {
                r.listener.onFailed(reason);
            }
        }
    }

    @Override
    public int contextSize() { return contextSize; }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public Submission submit(GenerationRequest request, GenerationListener listener) throws EngineOverloadedException {
        request.requireFits(contextSize, vocabSize);
        String why = downReason();
        if (why != null) {
            throw new IllegalStateException(name + " is unavailable: " + why);
        }
        EngineWire.Stats s = lastStats;
        if (s != null && inFlight.size() >= s.capacity()) {
            throw new EngineOverloadedException(name + " is full (" + s.capacity() + " requests)", 1);
        }
        long key = nextKey.incrementAndGet();
        Remote remote = new Remote(key, listener);
        inFlight.put(key, remote);
        synchronized (out) {
            out.checkLimit(EngineWire.submitCapacity(request.prompt().length));
            int n = EngineWire.submit(out, key, request, replyChannel, replyStream);
            if (!offer(n)) {
                inFlight.remove(key);
                throw new IllegalStateException(name + " is unavailable: its head worker does not take requests");
            }
        }
        return remote;
    }

    private boolean offer(int length) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EngineEndpoint.SEND_TIMEOUT_MILLIS);
        while (true) {
            long r = requests.offer(out, 0, length);
            if (r > 0) {
                return true;
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED || System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
    }

    private void run() {
        IdleStrategy idle = new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(10),
                TimeUnit.MILLISECONDS.toNanos(1));
        long nextHello = 0;
        int helloLength = EngineWire.hello(hello, replyChannel, replyStream);
        while (running) {
            int work = replies.poll(assembler, 64);
            long now = System.nanoTime();
            if (now >= nextHello) {
                requests.offer(hello, 0, helloLength); // lost when not connected yet: the next one follows
                nextHello = now + TimeUnit.MILLISECONDS.toNanos(HELLO_INTERVAL_MILLIS);
            }
            if (work == 0 && down == null && lastHeardNanos != 0 && !isUp()) {
                fail("the head worker of " + name + " stopped answering (no heartbeat for "
                        + HEARTBEAT_TIMEOUT_MILLIS + " ms)");
            }
            idle.idle(work);
        }
    }

    private void onReply(DirectBuffer b, int offset, int length, Header header) {
        try {
            int type = EngineWire.type(b, offset, length);
            if (type == EngineWire.STATS) {
                lastStats = EngineWire.readStats(b, offset, length);
                lastHeardNanos = System.nanoTime();
                down = null;
                return;
            }
            Remote r = inFlight.get(EngineWire.key(b, offset));
            if (r == null) {
                return; // a late event of a request already failed or cancelled
            }
            switch (type) {
                case EngineWire.SCHEDULED -> r.listener.onScheduled(EngineWire.readScheduled(b, offset, length));
                case EngineWire.TOKEN -> r.listener.onToken(EngineWire.readToken(b, offset, length),
                        EngineWire.readChoice(b, offset, length));
                case EngineWire.FINISHED -> {
                    EngineWire.Finished f = EngineWire.readFinished(b, offset, length);
                    inFlight.remove(r.key);
                    r.listener.onFinished(f.reason(), f.promptTokens(), f.generatedTokens());
                }
                case EngineWire.FAILED -> {
                    String message = EngineWire.readFailed(b, offset, length);
                    inFlight.remove(r.key);
                    r.listener.onFailed(message);
                }
                default -> throw new EngineWire.WireFormatException("unknown message type " + type);
            }
        } catch (EngineWire.WireFormatException e) {
            malformed++;
            LOG.warning(name + ": refused a malformed reply: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warning(name + ": a listener failed: " + e);
            Remote r = inFlight.remove(EngineWire.key(b, offset));
            if (r != null) {
                r.cancel();
            }
        }
    }

    @Override
    public EngineStats stats() {
        EngineWire.Stats s = lastStats;
        if (s == null) {
            return new EngineStats(0, 0, 0, 0, 0);
        }
        long lastStep = s.lastStepAgeNanos() < 0 ? 0 : lastHeardNanos - s.lastStepAgeNanos();
        return new EngineStats(s.running(), s.waiting(), s.kvUsage(), s.steps(), lastStep);
    }

    @Override
    public void close() {
        running = false;
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fail(name + " is shut down");
        requests.close();
        replies.close();
    }

    /** A request in flight; cancelling tells the head, which frees its slot at the next step. */
    private final class Remote implements Submission {
        final long key;
        final GenerationListener listener;
        private volatile boolean cancelled;

        Remote(long key, GenerationListener listener) {
            this.key = key;
            this.listener = listener;
        }

        @Override
        public void cancel() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            synchronized (out) {
                offer(EngineWire.cancel(out, key));
            }
        }
    }
}
