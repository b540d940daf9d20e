package io.strata.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real OCI registry: Debian's {@code docker-registry} (CNCF Distribution 2.8) started as a child process with a
 * generated config on a free loopback port and a temporary storage folder, stopped on close.
 */
final class DockerRegistry implements AutoCloseable {
    static final List<Path> BINARIES = List.of(Path.of("/usr/bin/docker-registry"), Path.of("/usr/local/bin/docker-registry"));

    private final Process process;
    private final int port;
    private final Path log;

    private DockerRegistry(final Process process, final int port, final Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static Optional<Path> binary() {
        return BINARIES.stream().filter(Files::isExecutable).findFirst();
    }

    /** Starts a registry storing under {@code dir}; waits (at most 15 s) until {@code GET /v2/} answers 200. */
    static DockerRegistry start(final Path binary, final Path dir) throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken between choosing and binding it
            final int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            final Path config = dir.resolve("config-" + port + ".yml");
            Files.writeString(config, """
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: %s
                      delete:
                        enabled: true
                    http:
                      addr: 127.0.0.1:%d
                      secret: strata-test-secret
                    """.formatted(dir.resolve("storage"), port));
            final Path log = dir.resolve("registry-" + port + ".log");
            final Process p = new ProcessBuilder(binary.toString(), "serve", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            final DockerRegistry r = new DockerRegistry(p, port, log);
            try {
                r.awaitReady(Duration.ofSeconds(15));
                return r;
            } catch (IOException e) {
                last = e;
                r.close();
            }
        }
        throw last;
    }

    String authority() {
        return "127.0.0.1:" + port;
    }

    private void awaitReady(final Duration budget) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + budget.toNanos();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("docker-registry exited with " + process.exitValue() + ": " + Files.readString(log));
                }
                try {
                    final HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://" + authority() + "/v2/"))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
        }
        throw new IOException("docker-registry did not answer on " + authority() + " within " + budget.toSeconds() + " s: "
                + Files.readString(log));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
