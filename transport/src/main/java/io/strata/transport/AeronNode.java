package io.strata.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * One process's Aeron: an embedded media driver in its own directory and a client connected to it. The driver
 * runs in SHARED mode with a backoff idle strategy: on two cores a busy-spinning driver starves the compute threads
 * (platform.md), and the step loop polls with its own backoff anyway.
 */
public final class AeronNode implements AutoCloseable {
    private final MediaDriver driver;
    private final Aeron aeron;

    private AeronNode(MediaDriver driver, Aeron aeron) {
        this.driver = driver;
        this.aeron = aeron;
    }

    /** Launches a driver named {@code name} (its directory is unique to this process) and connects to it. */
    public static AeronNode launch(String name) {
        String dir = new File(System.getProperty("java.io.tmpdir"),
                "strata-aeron-" + name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime()).getPath();
        MediaDriver.Context ctx = new MediaDriver.Context()
                .aeronDirectoryName(dir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1),
                        TimeUnit.MICROSECONDS.toNanos(100)))
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .termBufferSparseFile(true)
                .publicationTermBufferLength(Channels.TERM_LENGTH)
                .ipcTermBufferLength(Channels.TERM_LENGTH)
                .printConfigurationOnStart(false);
        MediaDriver driver = MediaDriver.launchEmbedded(ctx);
        try {
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
            return new AeronNode(driver, aeron);
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
    }

    public Aeron aeron() { return aeron; }

    @Override
    public void close() {
        aeron.close();
        driver.close();
    }
}
