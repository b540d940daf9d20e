package io.strata.cli;

import java.util.concurrent.CountDownLatch;

/** A long-running command's last step: say where it runs, then hold the process until SIGINT/SIGTERM closes it. */
final class Foreground {
    private Foreground() {}

    /** Prints {@code announcement} on stdout (one line, flushed: scripts wait for it) and blocks until stopped. */
    static int runUntilStopped(AutoCloseable service, String announcement) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println("strata: while stopping: " + e.getMessage());
            }
            stopped.countDown();
        }, "strata-shutdown"));
        System.out.println(announcement);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
