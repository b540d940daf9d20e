package io.strata.model.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * HTTP/1.1 requests over {@link HttpClient} with redirects followed here rather than by the client, so that an
 * {@code Authorization} header never follows a redirect to another origin (a Hugging Face token must not reach its
 * CDN, a registry token not the object store) and a caller can stop at a cross-origin redirect to read the headers
 * of the first answer (Hugging Face's {@code X-Linked-Etag}). Every response body is a stream the caller closes.
 */
final class Http implements AutoCloseable {
    static final int MAX_REDIRECTS = 10;
    private static final int ERROR_BODY_LIMIT = 64 << 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final Duration responseTimeout;

    Http(final Duration connectTimeout, final Duration responseTimeout) {
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.responseTimeout = responseTimeout;
    }

    /** One request: method, URL, headers, body (null: none). */
    record Request(String method, URI uri, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        Request {
            headers = Map.copyOf(headers);
        }

        static Request get(final URI uri) {
            return new Request("GET", uri, Map.of(), null);
        }

        static Request head(final URI uri) {
            return new Request("HEAD", uri, Map.of(), null);
        }

        Request with(final String header, final String value) {
            final Map<String, String> h = new LinkedHashMap<>(headers);
            if (value == null) {
                h.remove(header);
            } else {
                h.put(header, value);
            }
            return new Request(method, uri, h, body);
        }

        Request withAll(final Map<String, String> more) {
            final Map<String, String> h = new LinkedHashMap<>(headers);
            h.putAll(more);
            return new Request(method, uri, h, body);
        }

        Request at(final URI target) {
            return new Request(method, target, headers, body);
        }
    }

    /** A response; {@code uri} is the one that answered (after redirects). */
    record Response(URI uri, int status, HttpHeaders headers, InputStream body) implements AutoCloseable {
        Optional<String> header(final String name) {
            return headers.firstValue(name);
        }

        long contentLength() {
            return headers.firstValueAsLong("Content-Length").orElse(-1);
        }

        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The whole body, refused when it is longer than {@code limit} bytes. */
        byte[] readBody(final int limit) throws IOException {
            final byte[] bytes = body.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new IOException(uri + " answered with more than " + limit + " bytes");
            }
            return bytes;
        }

        /**
         * The status and what the server said about it: an OCI {@code errors[0]} code and message, Hugging Face's
         * {@code X-Error-Code} and {@code X-Error-Message}, Ollama's {@code {"error": ...}}, or the start of the body.
         */
        String problem() {
            final StringBuilder sb = new StringBuilder("HTTP ").append(status);
            header("X-Error-Code").ifPresent(c -> sb.append(' ').append(c));
            header("X-Error-Message").ifPresent(m -> sb.append(": ").append(m));
            if (header("X-Error-Code").isPresent()) {
                return sb.toString();
            }
            try {
                final String text = new String(body.readNBytes(ERROR_BODY_LIMIT), StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    sb.append(": ").append(summarise(text));
                }
            } catch (IOException e) {
                // the status alone says enough
            }
            return sb.toString();
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing a response we are done with
            }
        }
    }

    /**
     * Sends the request. GET and HEAD follow redirects (at most {@value #MAX_REDIRECTS}); when one leaves the origin
     * the {@code Authorization} header is dropped, or, with {@code stopAtOtherOrigin}, that redirect is returned.
     */
    Response send(final Request request, final boolean stopAtOtherOrigin) throws IOException {
        Request r = request;
        for (int hop = 0; ; hop++) {
            final Response response = sendOnce(r);
            final boolean redirect = switch (response.status()) {
                case 301, 302, 303, 307, 308 -> true;
                default -> false;
            };
            final Optional<String> location = response.header("Location");
            if (!redirect || location.isEmpty() || !(r.method().equals("GET") || r.method().equals("HEAD"))) {
                return response;
            }
            final URI next = r.uri().resolve(location.get());
            final boolean otherOrigin = !sameOrigin(r.uri(), next);
            if (otherOrigin && stopAtOtherOrigin) {
                return response;
            }
            response.close();
            if (hop + 1 >= MAX_REDIRECTS) {
                throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + request.uri());
            }
            r = otherOrigin ? r.at(next).with("Authorization", null) : r.at(next);
        }
    }

    Response send(final Request request) throws IOException {
        return send(request, false);
    }

    private Response sendOnce(final Request r) throws IOException {
        final HttpRequest.Builder b = HttpRequest.newBuilder(r.uri()).timeout(responseTimeout)
                .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : r.body());
        b.header("User-Agent", "strata");
        r.headers().forEach(b::header);
        try {
            final HttpResponse<InputStream> response = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            return new Response(response.uri(), response.statusCode(), response.headers(), response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            final InterruptedIOException io = new InterruptedIOException("interrupted while waiting for " + r.uri());
            io.initCause(e);
            throw io;
        }
    }

    static boolean sameOrigin(final URI a, final URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme())) && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private static int port(final URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String lower(final String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static String summarise(final String text) {
        if (text.startsWith("{")) {
            try {
                final JsonNode n = JSON.readTree(text);
                final JsonNode errors = n.get("errors");
                if (errors != null && errors.isArray() && !errors.isEmpty()) {
                    final JsonNode e = errors.get(0);
                    return e.path("code").asText("") + (e.has("message") ? " " + e.get("message").asText() : "");
                }
                if (n.has("error")) {
                    return n.get("error").isTextual() ? n.get("error").asText() : n.get("error").toString();
                }
            } catch (IOException ignored) {
                // not JSON after all
            }
        }
        final String line = text.lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @Override
    public void close() {
        client.shutdownNow(); // every response we use is read and closed by then; do not wait on any other
    }
}
