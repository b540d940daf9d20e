package io.strata.cli;

import com.sun.net.httpserver.HttpServer;
import io.strata.model.store.Digest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback server laid out as the Hugging Face Hub for whole files: {@code /ORG/REPO/resolve/REV/FILE} answers
 * HEAD and GET with {@code X-Linked-Etag} (the sha256) and {@code X-Linked-Size}. {@link #corrupt} makes it send
 * one byte wrong.
 */
final class HubServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    volatile boolean corrupt;

    HubServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            try (ex) {
                final byte[] body = files.get(ex.getRequestURI().getRawPath());
                if (body == null) {
                    ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
                    ex.getResponseHeaders().set("X-Error-Message", "Entry not found");
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + Digest.of(body).hex() + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(body.length));
                if (ex.getRequestMethod().equals("HEAD")) {
                    ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                final byte[] sent = body.clone();
                if (corrupt) {
                    sent[sent.length / 2] ^= 1;
                }
                ex.sendResponseHeaders(200, sent.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(sent);
                }
            }
        });
        server.start();
    }

    void put(final String repoAndFile, final byte[] content) {
        final int slash = repoAndFile.indexOf('/', repoAndFile.indexOf('/') + 1);
        files.put("/" + repoAndFile.substring(0, slash) + "/resolve/main" + repoAndFile.substring(slash), content);
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
