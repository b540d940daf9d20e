package io.strata.kernels.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The native Q8_0, Q4_0, Q4_K and Q6_K matrix products ({@code src/main/c/strata_kernels.c}), called through the FFM API.
 * The Vector API has no 8- or 16-bit dot product, so its int8 kernels need about three times the instructions per
 * block of an AVX2 or AVX-512 VNNI loop and stay compute-bound; these reach the memory bandwidth in decode and
 * the FMA units in prefill. They compute the scalar reference's bits, like every other kernel ({@code
 * NativeKernelsTest}).
 *
 * <p>Loaded once from the class path (extracted to a temporary file when it is inside a jar). Not available, with
 * {@link #why()} saying why, when the library was not built (no gcc), the CPU lacks AVX2/FMA, or
 * {@code -Dstrata.native=false}; then the Vector API kernels run. Calls are "critical" downcalls: they pass heap
 * arrays without copying and must not block, which a bounded matrix product does not.
 */
final class NativeKernels {
    static final int TYPE_Q8_0 = 0;
    static final int TYPE_Q4_0 = 1;
    static final int TYPE_Q4_K = 2;
    static final int TYPE_Q6_K = 3;

    private static final String LIBRARY = "libstrata_kernels.so";
    private static final int ISA;
    /** The instruction set the calls use: {@link #ISA}, or AVX2 where a test asks for it on a VNNI machine. */
    private static volatile int use;
    private static final String WHY;
    private static final MethodHandle VEC_DOT;
    private static final MethodHandle Q4_0_REPACKED;
    private static final MethodHandle K_QUANT;
    private static final MethodHandle READ;
    private static final MethodHandle Q4_0_INTERLEAVED_BYTES;
    private static final MethodHandle Q4_0_INTERLEAVE;
    private static final MethodHandle Q4_0_INTERLEAVED;
    private static final MethodHandle Q4_K_INTERLEAVED_BYTES;
    private static final MethodHandle Q4_K_INTERLEAVE;
    private static final MethodHandle Q4_K_INTERLEAVED;

    static {
        int isa = 0;
        String why = null;
        MethodHandle vecDot = null;
        MethodHandle repacked = null;
        MethodHandle kQuant = null;
        MethodHandle read = null;
        MethodHandle interleavedBytes = null;
        MethodHandle interleave = null;
        MethodHandle interleaved = null;
        MethodHandle kInterleavedBytes = null;
        MethodHandle kInterleave = null;
        MethodHandle kInterleaved = null;
        if ("false".equalsIgnoreCase(System.getProperty("strata.native"))) {
            why = "turned off (-Dstrata.native=false)";
        } else {
            try {
                Path path = libraryPath();
                if (path == null) {
                    why = LIBRARY + " is not on the class path (built only where gcc is installed)";
                } else {
                    Linker linker = Linker.nativeLinker();
                    SymbolLookup lib = SymbolLookup.libraryLookup(path, Arena.global());
                    MethodHandle probe = linker.downcallHandle(lib.findOrThrow("strata_isa"),
                            FunctionDescriptor.of(JAVA_INT));
                    isa = (int) probe.invokeExact();
                    if (isa == 0) {
                        why = "this CPU has no AVX2 and FMA";
                    } else {
                        FunctionDescriptor rows = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
                                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT);
                        vecDot = linker.downcallHandle(lib.findOrThrow("strata_vec_dot"), rows,
                                Linker.Option.critical(true));
                        FunctionDescriptor repackedRows = FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG,
                                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT);
                        repacked = linker.downcallHandle(lib.findOrThrow("strata_q4_0_repacked"), repackedRows,
                                Linker.Option.critical(true));
                        FunctionDescriptor kRows = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG,
                                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT);
                        kQuant = linker.downcallHandle(lib.findOrThrow("strata_k_quant"), kRows,
                                Linker.Option.critical(true));
                        read = linker.downcallHandle(lib.findOrThrow("strata_read"),
                                FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_DOUBLE, ADDRESS, JAVA_LONG),
                                Linker.Option.critical(false));
                        // the interleaved layouts: a copy's size, the copy, the product from it
                        FunctionDescriptor size = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT);
                        FunctionDescriptor copy = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT,
                                ADDRESS);
                        interleavedBytes = linker.downcallHandle(lib.findOrThrow("strata_q4_0_interleaved_bytes"), size);
                        interleave = linker.downcallHandle(lib.findOrThrow("strata_q4_0_interleave"), copy,
                                Linker.Option.critical(true));
                        interleaved = linker.downcallHandle(lib.findOrThrow("strata_q4_0_interleaved"),
                                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                                        JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.critical(true));
                        kInterleavedBytes = linker.downcallHandle(lib.findOrThrow("strata_q4_k_interleaved_bytes"),
                                size);
                        kInterleave = linker.downcallHandle(lib.findOrThrow("strata_q4_k_interleave"), copy,
                                Linker.Option.critical(true));
                        kInterleaved = linker.downcallHandle(lib.findOrThrow("strata_q4_k_interleaved"),
                                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                                        ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.critical(true));
                    }
                }
            } catch (Throwable e) {
                why = "could not be loaded: " + e;
                isa = 0;
            }
        }
        ISA = isa;
        use = isa;
        WHY = why;
        VEC_DOT = vecDot;
        Q4_0_REPACKED = repacked;
        K_QUANT = kQuant;
        READ = read;
        Q4_0_INTERLEAVED_BYTES = interleavedBytes;
        Q4_0_INTERLEAVE = interleave;
        Q4_0_INTERLEAVED = interleaved;
        Q4_K_INTERLEAVED_BYTES = kInterleavedBytes;
        Q4_K_INTERLEAVE = kInterleave;
        Q4_K_INTERLEAVED = kInterleaved;
    }

    private NativeKernels() {
    }

    /** Whether the native kernels run. */
    static boolean available() {
        return WHY == null;
    }

    /** Why the native kernels do not run, or null when they do. */
    static String why() {
        return WHY;
    }

    /** The instruction set the kernels use: "AVX-512 VNNI" or "AVX2". */
    static String instructionSet() {
        return use == 2 ? "AVX-512 VNNI" : use == 1 ? "AVX2" : "none";
    }

    /**
     * Runs {@code body} with the AVX2 kernels (so that a VNNI machine tests both), then the detected ones again.
     * Only for tests: not safe while other threads multiply.
     */
    static void withAvx2(Runnable body) {
        use = Math.min(ISA, 1);
        try {
            body.run();
        } finally {
            use = ISA;
        }
    }

    /**
     * out[t·outStride + r] = row r · token t for rows r0 .. r1 − 1 of {@code w} ({@code rowStride} bytes apart) and
     * tokens 0 .. tokens − 1 (int8 quants at xq[t·cols], block scales at xd[t·blocks]), in ggml_vec_dot's order.
     * The caller has checked every bound (MatMul.apply).
     */
    static void vecDot(int type, MemorySegment w, long rowStride, int r0, int r1, int blocks, MemorySegment xq,
                       MemorySegment xd, int tokens, MemorySegment out, int outStride) {
        try {
            VEC_DOT.invokeExact(use, type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + (type == TYPE_Q8_0 ? "Q8_0" : "Q4_0") + " kernel", e);
        }
    }

    /** {@link #vecDot} for Q4_0 rows in the repacked GEMV's order. */
    static void q4_0Repacked(MemorySegment w, long rowStride, int r0, int r1, int blocks, MemorySegment xq,
                             MemorySegment xd, int tokens, MemorySegment out, int outStride) {
        try {
            Q4_0_REPACKED.invokeExact(use, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native repacked Q4_0 kernel", e);
        }
    }

    /**
     * Q4_K or Q6_K rows (TYPE_Q4_K, TYPE_Q6_K) of {@code blocks} super-blocks times Q8_K activations (quants at
     * xq[t·cols], scales at xd[t·blocks], per-16 sums at xs[16·t·blocks]), in KQuantDots' order.
     */
    static void kQuant(int type, MemorySegment w, long rowStride, int r0, int r1, int blocks, MemorySegment xq,
                       MemorySegment xd, MemorySegment xs, int tokens, MemorySegment out, int outStride) {
        try {
            K_QUANT.invokeExact(use, type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + (type == TYPE_Q4_K ? "Q4_K" : "Q6_K") + " kernel", e);
        }
    }

    /**
     * Whether Q4_0 and Q4_K matrices get an interleaved copy ({@link #interleave}): where the AVX-512 VNNI kernels
     * run, unless {@code -Dstrata.interleave=false} keeps every product on the mapped file's rows.
     */
    static boolean interleaves() {
        return available() && ISA == 2 && !"false".equalsIgnoreCase(System.getProperty("strata.interleave"));
    }

    /**
     * A copy of rows 0 .. rows − 1 of {@code blocks} blocks ({@code rowStride} bytes apart in {@code w}, rows % 16
     * == 0) in the interleaved layout of {@code strata_q4_0_interleave} (TYPE_Q4_0) or {@code
     * strata_q4_k_interleave} (TYPE_Q4_K), allocated in {@code arena}; null, and nothing allocated, when the
     * machine has no room for it ({@link CopyRoom}).
     */
    static MemorySegment interleave(int type, MemorySegment w, long rowStride, int rows, int blocks, Arena arena) {
        try {
            boolean q4k = type == TYPE_Q4_K;
            long bytes = q4k ? (long) Q4_K_INTERLEAVED_BYTES.invokeExact(rows, blocks)
                    : (long) Q4_0_INTERLEAVED_BYTES.invokeExact(rows, blocks);
            if (!CopyRoom.hasRoomFor(bytes)) {
                return null;
            }
            MemorySegment copy = arena.allocate(bytes, 64);
            if (q4k) {
                Q4_K_INTERLEAVE.invokeExact(w, rowStride, rows, blocks, copy);
            } else {
                Q4_0_INTERLEAVE.invokeExact(w, rowStride, rows, blocks, copy);
            }
            return copy;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native interleave", e);
        }
    }

    /**
     * {@link #q4_0Repacked}'s bits from an interleaved copy (rows r0 .. r1 − 1, multiples of 16): true, or false
     * when it did not run (the AVX2 kernels are in use, or the thread had no scratch memory), so the caller takes
     * the file's rows.
     */
    static boolean q4_0Interleaved(MemorySegment copy, int r0, int r1, int blocks, MemorySegment xq,
                                   MemorySegment xd, int tokens, MemorySegment out, int outStride) {
        if (use != 2) {
            return false;
        }
        try {
            return (int) Q4_0_INTERLEAVED.invokeExact(copy, r0, r1, blocks, xq, xd, tokens, out, outStride) == 0;
        } catch (Throwable e) {
            throw new IllegalStateException("native interleaved Q4_0 kernel", e);
        }
    }

    /**
     * {@link #kQuant}'s Q4_K bits from an interleaved copy (rows r0 .. r1 − 1, multiples of 16): true, or false
     * when the AVX2 kernels are in use, so the caller takes the file's rows.
     */
    static boolean q4_KInterleaved(MemorySegment copy, int r0, int r1, int blocks, MemorySegment xq,
                                   MemorySegment xd, MemorySegment xs, int tokens, MemorySegment out,
                                   int outStride) {
        if (use != 2) {
            return false;
        }
        try {
            Q4_K_INTERLEAVED.invokeExact(copy, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
            return true;
        } catch (Throwable e) {
            throw new IllegalStateException("native interleaved Q4_K kernel", e);
        }
    }

    /** The bandwidth probe's prefetching read: the float sum of {@code bytes} (a multiple of 64) at {@code p}. */
    static double read(MemorySegment p, long bytes) {
        try {
            return (double) READ.invokeExact(p, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("native read", e);
        }
    }

    /** The library as a file: where the class path has it as one, else copied out of the jar once. */
    private static Path libraryPath() throws IOException {
        URL url = NativeKernels.class.getResource(LIBRARY);
        if (url == null) {
            return null;
        }
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI());
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path copy = Files.createTempFile("strata-kernels-", ".so");
        copy.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }
}
