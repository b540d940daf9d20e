package io.strata.model.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP/1.1 server on 127.0.0.1 and a free port (the JDK's HttpServer), serving files the way a CDN does
 * (ETag, Accept-Ranges, 206 with Content-Range, If-Range), JSON documents and redirects, with the faults the tests
 * need: a connection dropped mid-body, wrong bytes, ranges ignored, a stall, 503s. Every request is recorded.
 */
final class LoopbackHttpServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    /** One request as it arrived. */
    record Hit(String method, String path, String range, String ifRange, String authorization) {}

    /** How a file misbehaves. Mutable so a test can change it between pulls. */
    static final class Faults {
        /** Bodies of the next {@code dropsLeft} GETs end (the connection is cut) after this many bytes. */
        volatile long dropAfter = -1;
        final AtomicInteger dropsLeft = new AtomicInteger();
        /** The byte at this offset is served flipped. */
        volatile long corruptAt = -1;
        volatile boolean ignoreRanges;
        volatile boolean unavailable;
        /** The first GET pauses this long after this many bytes. */
        volatile long stallAfter = -1;
        volatile long stallMillis;
        final AtomicInteger stallsLeft = new AtomicInteger();
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Hit> hits = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    final AtomicLong bodyBytesSent = new AtomicLong();

    interface Route {
        void handle(HttpExchange ex) throws IOException;
    }

    LoopbackHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            hits.add(new Hit(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestHeaders().getFirst("Range"),
                    ex.getRequestHeaders().getFirst("If-Range"), ex.getRequestHeaders().getFirst("Authorization")));
            try (ex) {
                final Route r = routes.get(ex.getRequestURI().getRawPath());
                if (r == null) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"no such path\"}]}".getBytes(), Map.of());
                } else {
                    r.handle(ex);
                }
            } catch (IOException e) {
                // a connection this server cut on purpose, or a client that went away
            }
        });
        server.start();
    }

    URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    int port() {
        return server.getAddress().getPort();
    }

    String authority() {
        return "127.0.0.1:" + port();
    }

    List<Hit> hits() {
        synchronized (hits) {
            return List.copyOf(hits);
        }
    }

    List<Hit> hits(final String method, final String path) {
        return hits().stream().filter(h -> h.method().equals(method) && h.path().equals(path)).toList();
    }

    /** A file with ETag {@code "<sha256>"}; {@code headers} are added to every answer. */
    Faults file(final String path, final byte[] content, final Map<String, String> headers) {
        final Faults f = new Faults();
        final String etag = "\"" + HexFormat.of().formatHex(BlobDownloader.sha256().digest(content)) + "\"";
        routes.put(path, ex -> serveFile(ex, content, etag, headers, f));
        return f;
    }

    /** A fixed answer (manifests, tokens). */
    void document(final String path, final int status, final String contentType, final byte[] body, final Map<String, String> headers) {
        routes.put(path, ex -> send(ex, status, contentType, body, headers));
    }

    /** A handler of a test's own. */
    void handler(final String path, final Route route) {
        routes.put(path, route);
    }

    /** A redirect, with headers (Hugging Face puts X-Linked-Etag on its redirect to the CDN). */
    void redirect(final String path, final int status, final URI to, final Map<String, String> headers) {
        routes.put(path, ex -> {
            ex.getResponseHeaders().set("Location", to.toString());
            headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.sendResponseHeaders(status, -1);
        });
    }

    static void send(final HttpExchange ex, final int status, final String contentType, final byte[] body,
                     final Map<String, String> headers) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private void serveFile(final HttpExchange ex, final byte[] content, final String etag, final Map<String, String> headers,
                           final Faults f) throws IOException {
        final var h = ex.getResponseHeaders();
        headers.forEach(h::set);
        if (f.unavailable) {
            ex.sendResponseHeaders(503, -1);
            return;
        }
        h.set("Content-Type", "application/octet-stream");
        h.set("ETag", etag);
        if (!f.ignoreRanges) {
            h.set("Accept-Ranges", "bytes");
        }
        long start = 0;
        long end = content.length - 1;
        int status = 200;
        final String range = ex.getRequestHeaders().getFirst("Range");
        final String ifRange = ex.getRequestHeaders().getFirst("If-Range");
        if (range != null && !f.ignoreRanges && (ifRange == null || ifRange.equals(etag))) {
            final Matcher m = RANGE.matcher(range);
            if (!m.matches() || Long.parseLong(m.group(1)) >= content.length) {
                h.set("Content-Range", "bytes */" + content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            start = Long.parseLong(m.group(1));
            if (!m.group(2).isEmpty()) {
                end = Math.min(end, Long.parseLong(m.group(2)));
            }
            status = 206;
            h.set("Content-Range", "bytes " + start + "-" + end + "/" + content.length);
        }
        final long length = end - start + 1;
        if (ex.getRequestMethod().equals("HEAD")) {
            h.set("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, length);
        final long cut = f.dropAfter >= 0 && f.dropsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? f.dropAfter : -1;
        final long stall = f.stallAfter >= 0 && f.stallsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? f.stallAfter : -1;
        final OutputStream out = ex.getResponseBody();
        final byte[] chunk = new byte[8192];
        for (long pos = start, sent = 0; pos <= end; ) {
            if (cut >= 0 && sent >= cut) {
                out.flush();
                throw new IOException("connection cut on purpose after " + sent + " bytes");
            }
            if (stall >= 0 && sent >= stall) {
                out.flush();
                try {
                    Thread.sleep(f.stallMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int n = (int) Math.min(chunk.length, end - pos + 1);
            if (cut >= 0) {
                n = (int) Math.min(n, cut - sent);
            }
            if (stall >= 0 && sent < stall) {
                n = (int) Math.min(n, stall - sent);
            }
            System.arraycopy(content, (int) pos, chunk, 0, n);
            if (f.corruptAt >= pos && f.corruptAt < pos + n) {
                chunk[(int) (f.corruptAt - pos)] ^= 0x5a;
            }
            out.write(chunk, 0, n);
            bodyBytesSent.addAndGet(n);
            pos += n;
            sent += n;
        }
        out.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
