package io.strata.bench;

import io.strata.kernels.cpu.BandwidthProbe;
import io.strata.kernels.cpu.ThreadTeam;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@link BandwidthProbe}'s triad and read passes under JMH. The {@code gigabytes} counter is reported per second,
 * i.e. in GB/s, counted as the probe counts (triad: 3 x 4 bytes per element; read: 4 bytes). One pass per op;
 * the team's threads ({@code threads}) share each pass, so JMH itself runs one benchmark thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BandwidthBenchmark {

    @Param({"1", "2"})
    public int threads;

    @Param({"256"})
    public int mibPerArray;

    private ThreadTeam team;
    private BandwidthProbe probe;

    /** Bytes moved, in GB; JMH divides by the iteration time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Traffic {
        public double gigabytes;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void allocate() {
        team = new ThreadTeam(threads);
        probe = new BandwidthProbe(team, (long) mibPerArray << 20);
    }

    @TearDown(Level.Trial)
    public void free() {
        probe.close();
        team.close();
    }

    @Benchmark
    public void triad(Traffic t) {
        probe.triadPass();
        t.gigabytes += 3 * probe.arrayBytes() / 1e9;
    }

    @Benchmark
    public double read(Traffic t) {
        t.gigabytes += probe.arrayBytes() / 1e9;
        return probe.readPass();
    }
}
