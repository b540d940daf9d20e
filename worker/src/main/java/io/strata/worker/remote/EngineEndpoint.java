package io.strata.worker.remote;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import io.strata.worker.engine.TokenChoice;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The head worker's side of {@link EngineWire}: takes coordinators' requests off its channel, submits them to the
 * replica's engine (the continuous-batching scheduler) and sends each request's events back to the coordinator
 * that sent it. One thread polls requests and sends the load every {@link #STATS_INTERVAL_MILLIS} ms; events are
 * sent from the engine's thread, each into that thread's one buffer. A reply that cannot be sent within
 * {@link #SEND_TIMEOUT_MILLIS} (the coordinator is gone) cancels its request, so its slot is freed.
 */
public final class EngineEndpoint implements AutoCloseable {
    public static final long STATS_INTERVAL_MILLIS = 250;
    static final long SEND_TIMEOUT_MILLIS = 2000;
    private static final Logger LOG = Logger.getLogger(EngineEndpoint.class.getName());

    private final Aeron aeron;
    private final InferenceEngine engine;
    private final int capacity;
    private final Subscription requests;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onRequest);
    private final Map<String, Publication> replies = new ConcurrentHashMap<>();
    private final Map<Long, Submission> submissions = new ConcurrentHashMap<>();
    private final UnsafeBuffer control = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
    private final ExpandableArrayBuffer events = new ExpandableArrayBuffer(64 * 1024);
    private final Thread thread;
    private volatile boolean running = true;
    private long malformed;

    /**
     * @param channel  the head's own Aeron channel (requests arrive on {@link EngineWire#REQUEST_STREAM})
     * @param capacity requests the engine takes at once (running plus waiting), told to coordinators for routing
     */
    public EngineEndpoint(Aeron aeron, String channel, InferenceEngine engine, int capacity) {
        this.aeron = aeron;
        this.engine = engine;
        this.capacity = capacity;
        this.requests = aeron.addSubscription(channel, EngineWire.REQUEST_STREAM);
        this.thread = Thread.ofPlatform().name("strata-engine-endpoint").daemon(true).start(this::run);
    }

    public long malformedMessages() { return malformed; }

    private void run() {
        IdleStrategy idle = new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(10),
                TimeUnit.MILLISECONDS.toNanos(1));
        long nextStats = 0;
        while (running) {
            int work = requests.poll(assembler, 16);
            long now = System.nanoTime();
            if (now >= nextStats) {
                sendStats(now);
                nextStats = now + TimeUnit.MILLISECONDS.toNanos(STATS_INTERVAL_MILLIS);
            }
            idle.idle(work);
        }
    }

    private void onRequest(DirectBuffer b, int offset, int length, Header header) {
        try {
            switch (EngineWire.type(b, offset, length)) {
                case EngineWire.SUBMIT -> submit(EngineWire.readSubmit(b, offset, length, engine.contextSize()));
                case EngineWire.HELLO -> {
                    EngineWire.Hello h = EngineWire.readHello(b, offset, length);
                    replyTo(h.replyChannel(), h.replyStream());
                }
                case EngineWire.CANCEL -> {
                    Submission s = submissions.get(EngineWire.key(b, offset));
                    if (s != null) {
                        s.cancel();
                    }
                }
                default -> throw new EngineWire.WireFormatException("unknown message type " + b.getInt(offset));
            }
        } catch (EngineWire.WireFormatException e) {
            malformed++;
            LOG.warning("refused a malformed request message: " + e.getMessage());
        }
    }

    private void submit(EngineWire.Submit m) {
        Publication reply = replyTo(m.replyChannel(), m.replyStream());
        Listener listener = new Listener(m.key(), reply);
        try {
            submissions.put(m.key(), engine.submit(m.request(), listener));
        } catch (EngineOverloadedException e) {
            listener.send(control, EngineWire.failed(control, m.key(), "overloaded: " + e.getMessage()));
        } catch (RuntimeException e) {
            listener.send(control, EngineWire.failed(control, m.key(), String.valueOf(e.getMessage())));
        }
    }

    private Publication replyTo(String channel, int stream) {
        return replies.computeIfAbsent(channel + "|" + stream, k -> aeron.addPublication(channel, stream));
    }

    private void sendStats(long now) {
        EngineStats s = engine.stats();
        long age = s.lastStepNanos() == 0 ? -1 : now - s.lastStepNanos();
        int n = EngineWire.stats(control, s.running(), s.waiting(), s.kvCacheUsage(), s.steps(), age, capacity);
        for (Publication p : replies.values()) {
            p.offer(control, 0, n); // a missed heartbeat is fine: the next one follows
        }
    }

    /** One request's events, encoded on the engine's thread into its buffer. */
    private final class Listener implements GenerationListener {
        private final long key;
        private final Publication reply;

        Listener(long key, Publication reply) {
            this.key = key;
            this.reply = reply;
        }

        @Override
        public void onScheduled(long queueNanos) {
            send(events, EngineWire.scheduled(events, key, queueNanos));
        }

        @Override
        public void onToken(int token, TokenChoice logprobs) {
            if (!send(events, EngineWire.token(events, key, token, logprobs))) {
                throw new IllegalStateException("coordinator unreachable"); // the engine cancels the request
            }
        }

        @Override
        public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) {
            submissions.remove(key);
            send(events, EngineWire.finished(events, key, reason, promptTokens, generatedTokens));
        }

        @Override
        public void onFailed(String message) {
            submissions.remove(key);
            send(events, EngineWire.failed(events, key, message == null ? "failed" : message));
        }

        /** Offers {@code buffer[0, length)}; false when the coordinator cannot be reached in time. */
        boolean send(org.agrona.MutableDirectBuffer buffer, int length) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SEND_TIMEOUT_MILLIS);
            while (true) {
                long r = reply.offer(buffer, 0, length);
                if (r > 0) {
                    return true;
                }
                if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED || System.nanoTime() > deadline) {
                    LOG.log(Level.WARNING, "request " + key + ": cannot reach its coordinator (" + r + ")");
                    return false;
                }
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        requests.close();
        replies.values().forEach(Publication::close);
    }
}
