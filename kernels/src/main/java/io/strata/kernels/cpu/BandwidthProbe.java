package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Measures the memory bandwidth this JVM reaches with a given thread team, the ceiling for decoding: one decode
 * step streams every weight matrix once, so tokens/s can never exceed bandwidth / bytes per token.
 *
 * <p>Two kernels over off-heap arrays far larger than any cache, each thread on its own contiguous slice (as
 * {@link ThreadTeam#parallelFor} hands out work to matrix products), vectorized with the Vector API, best of
 * several passes (like STREAM, which reports the best time):
 * <ul>
 *   <li>{@link #triad}: {@code a[i] = b[i] + s * c[i]}, counted as STREAM counts it: 3 arrays x 4 bytes per
 *       element (two reads, one write). The CPU really moves a fourth stream, because a store first reads the
 *       line it writes (write-allocate), so the true traffic is 4/3 of the reported figure.</li>
 *   <li>{@link #read}: a sum over one array, counted as the bytes of that array. Decode only reads weights, so
 *       this is the honest bound for it, and it is what {@code strata bench} divides by.</li>
 * </ul>
 * {@code bench/bandwidth.sh} runs the same two kernels in C next to this probe to show the JVM loses nothing.
 *
 * <p>Not thread-safe; one caller drives the probe. {@link #close()} frees the arrays.
 */
public final class BandwidthProbe implements AutoCloseable {

    /** Size of each array unless told otherwise: 3 x 256 MiB, far beyond any L3 cache of today. */
    public static final long DEFAULT_ARRAY_BYTES = 256L << 20;

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Work is handed to threads in slices of whole 4 KiB pages, so no two threads touch one page. */
    private static final int PAGE = 4096;
    private static final float SCALAR = 3.0f;

    /** One measurement: {@code bytesPerPass} counted as the class comment says, over the best pass. */
    public record Measurement(String kernel, int threads, long bytesPerPass, double bestSeconds, double medianSeconds) {
        public double bytesPerSecond() { return bytesPerPass / bestSeconds; }
    }

    private final ThreadTeam team;
    private final Arena arena;
    private final MemorySegment a;
    private final MemorySegment b;
    private final MemorySegment c;
    private final int pages;
    private final double[] partialSums;
    private final ThreadTeam.RangeTask triadTask = this::triadRange;
    private final ThreadTeam.RangeTask readTask = this::readRange;
    private final ThreadTeam.RangeTask nativeReadTask = this::nativeReadRange;
    private final ThreadTeam.RangeTask fillTask = this::fillRange;

    /** Sum of the last read pass, kept so the JIT cannot drop the loads. */
    private double lastSum;

    /**
     * Allocates three arrays of {@code arrayBytes} (rounded down to whole pages, at least one page) and writes them
     * once with the team's threads, so every page is resident before timing starts.
     */
    public BandwidthProbe(ThreadTeam team, long arrayBytes) {
        long pageCount = Math.max(1, arrayBytes / PAGE);
        if (pageCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("array of " + arrayBytes + " bytes is too large for the probe");
        }
        this.team = team;
        this.pages = (int) pageCount;
        this.arena = Arena.ofShared();
        long bytes = pageCount * PAGE;
        try {
            this.a = arena.allocate(bytes, PAGE);
            this.b = arena.allocate(bytes, PAGE);
            this.c = arena.allocate(bytes, PAGE);
        } catch (OutOfMemoryError e) {
            arena.close();
            throw e;
        }
        this.partialSums = new double[team.size() * 8]; // 8 doubles apart: one cache line per thread
        team.parallelFor(pages, 1, fillTask);
        compileKernels();
    }

    /**
     * Runs both kernels many times over one page, so the JIT compiles them as ordinary methods before anything is
     * timed. A timed pass calls each kernel once per thread: without this, the first passes run interpreted, and
     * the rest in an on-stack-replacement compilation that reached a third of C's bandwidth here.
     */
    private void compileKernels() {
        for (int i = 0; i < 20_000; i++) {
            triadRange(0, 1, 0);
            readRange(0, 1, 0);
        }
    }

    /** Bytes of each of the three arrays. */
    public long arrayBytes() { return (long) pages * PAGE; }

    public int threads() { return team.size(); }

    /** Best of {@code passes} triad passes, after {@code warmups} untimed ones (JIT compilation, page faults). */
    public Measurement triad(int warmups, int passes) {
        return measure("triad", 3 * arrayBytes(), () -> {
            triadPass();
            return 0;
        }, warmups, passes);
    }

    /** Best of {@code passes} read-only passes (a sum over array b), after {@code warmups} untimed ones. */
    public Measurement read(int warmups, int passes) {
        return measure("read", arrayBytes(), this::readPass, warmups, passes);
    }

    /**
     * {@link #read} through the native kernels' read loop, which prefetches ahead as their decode streams do (a
     * probe slower than the kernels would flatter the bound fraction); null where the native kernels do not run.
     */
    public Measurement nativeRead(int warmups, int passes) {
        if (!NativeKernels.available()) {
            return null;
        }
        return measure("native read", arrayBytes(), this::nativeReadPass, warmups, passes);
    }

    /**
     * The faster of {@link #read} and {@link #nativeRead}: what memory delivers to a kernel that streams it as well
     * as this machine allows.
     */
    public Measurement bestRead(int warmups, int passes) {
        Measurement java = read(warmups, passes);
        Measurement nat = nativeRead(warmups, passes);
        return nat != null && nat.bytesPerSecond() > java.bytesPerSecond() ? nat : java;
    }

    private double nativeReadPass() {
        team.parallelFor(pages, 1, nativeReadTask);
        return sumOfThreads();
    }

    /** The threads' partial sums of the last read pass, kept as {@link #lastSum()}. */
    private double sumOfThreads() {
        double s = 0;
        for (int i = 0; i < partialSums.length; i += 8) {
            s += partialSums[i];
        }
        lastSum = s;
        return s;
    }

    private void nativeReadRange(int fromPage, int toPage, int worker) {
        long from = (long) fromPage * PAGE;
        partialSums[worker * 8] = NativeKernels.read(b.asSlice(from, (long) (toPage - fromPage) * PAGE),
                (long) (toPage - fromPage) * PAGE);
    }

    /** The sum the last read pass computed (a check that the data was really read). */
    public double lastSum() { return lastSum; }

    /** One untimed triad pass, for harnesses that time it themselves (JMH); moves {@code 3 * arrayBytes()}. */
    public void triadPass() {
        team.parallelFor(pages, 1, triadTask);
    }

    /** One untimed read pass; reads {@code arrayBytes()} and returns their sum. */
    public double readPass() {
        team.parallelFor(pages, 1, readTask);
        return sumOfThreads();
    }

    private Measurement measure(String kernel, long bytesPerPass, java.util.function.DoubleSupplier pass, int warmups,
                                int passes) {
        if (passes < 1) {
            throw new IllegalArgumentException("at least one timed pass is needed, got " + passes);
        }
        for (int i = 0; i < warmups; i++) {
            pass.getAsDouble();
        }
        double[] seconds = new double[passes];
        for (int i = 0; i < passes; i++) {
            long t0 = System.nanoTime();
            pass.getAsDouble();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        return new Measurement(kernel, team.size(), bytesPerPass, seconds[0], seconds[passes / 2]);
    }

    private void triadRange(int fromPage, int toPage, int worker) {
        MemorySegment dst = a;
        MemorySegment x = b;
        MemorySegment y = c;
        FloatVector s = FloatVector.broadcast(SPECIES, SCALAR);
        long step = SPECIES.vectorByteSize();
        long end = (long) toPage * PAGE;
        for (long off = (long) fromPage * PAGE; off < end; off += step) {
            FloatVector y0 = FloatVector.fromMemorySegment(SPECIES, y, off, ORDER);
            FloatVector x0 = FloatVector.fromMemorySegment(SPECIES, x, off, ORDER);
            y0.fma(s, x0).intoMemorySegment(dst, off, ORDER);
        }
    }

    private void readRange(int fromPage, int toPage, int worker) {
        MemorySegment x = b;
        long step = SPECIES.vectorByteSize();
        long end = (long) toPage * PAGE;
        // Two independent accumulators: one add chain is limited by the add latency rather than by memory. Four
        // (with C2's unrolling on top) measured a third slower here than two, which match C.
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        for (long off = (long) fromPage * PAGE; off < end; off += 2 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, x, off, ORDER));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, x, off + step, ORDER));
        }
        partialSums[worker * 8] = s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    private void fillRange(int fromPage, int toPage, int worker) {
        long from = (long) fromPage * PAGE;
        long len = (long) (toPage - fromPage) * PAGE;
        a.asSlice(from, len).fill((byte) 0);
        // byte patterns 0x3f3f3f3f (0.75f) and 0x40404040 (3.0f): finite normal floats, so no NaN or denormal slows
        // the arithmetic
        b.asSlice(from, len).fill((byte) 0x3f);
        c.asSlice(from, len).fill((byte) 0x40);
    }

    @Override
    public void close() {
        arena.close();
    }

    /**
     * {@code java ... io.strata.kernels.cpu.BandwidthProbe [THREADS [MIB_PER_ARRAY [PASSES]]]}: prints one line per
     * kernel, {@code kernel threads GB/s}, for {@code bench/bandwidth.sh}.
     */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        long mib = args.length > 1 ? Long.parseLong(args[1]) : DEFAULT_ARRAY_BYTES >> 20;
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        try (ThreadTeam team = new ThreadTeam(threads); BandwidthProbe probe = new BandwidthProbe(team, mib << 20)) {
            for (Measurement m : new Measurement[]{probe.triad(3, passes), probe.read(3, passes)}) {
                System.out.printf("java %-5s threads=%d array=%dMiB best=%.2f GB/s median=%.2f GB/s%n", m.kernel(),
                        m.threads(), mib, m.bytesPerSecond() / 1e9, m.bytesPerPass() / m.medianSeconds() / 1e9);
            }
        }
    }
}
