package io.strata.model.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.store.Digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One repository of an OCI distribution (v2) registry: manifests by tag or digest, blobs, monolithic uploads
 * (distribution-spec "Pull" and "Push"). A 401 with a {@code Bearer} challenge fetches a token from the realm it
 * names (anonymously, or with {@code STRATA_REGISTRY_USERNAME}/{@code _PASSWORD}) and the request is sent once more;
 * a {@code Basic} challenge is answered with those credentials. The Ollama registry speaks the same API.
 */
final class RegistryClient {
    /** Manifests are small; a larger answer is refused rather than read. */
    static final int MANIFEST_LIMIT = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final Http http;
    private final URI base;
    private final String authority;
    private final String repository;
    private final RemoteSettings settings;
    private final String actions;
    private volatile String authorization;

    /** A manifest as the registry sent it: the exact bytes, their media type and digest. */
    record FetchedManifest(byte[] bytes, String mediaType, Digest digest) {}

    RegistryClient(final Http http, final String authority, final String repository, final RemoteSettings settings,
                   final boolean push) {
        this.http = http;
        this.authority = authority;
        this.base = URI.create(settings.registryScheme(authority) + "://" + authority + "/v2/" + repository + "/");
        this.repository = repository;
        this.settings = settings;
        this.actions = push ? "pull,push" : "pull";
    }

    String where() {
        return authority + "/" + repository;
    }

    /** The manifest of a tag or digest; a digest reference, and any {@code Docker-Content-Digest}, is checked. */
    FetchedManifest manifest(final String reference, final List<String> accept) {
        final URI uri = base.resolve("manifests/" + reference);
        try (Http.Response r = send(Http.Request.get(uri).with("Accept", String.join(", ", accept)))) {
            if (r.status() == 404) {
                throw new TransferException("no model " + where() + ":" + reference + " at " + base.getScheme() + "://"
                        + authority + " (" + r.problem() + ")");
            }
            if (!r.ok()) {
                throw new TransferException("cannot fetch the manifest of " + where() + ":" + reference + ": " + r.problem());
            }
            final byte[] bytes = r.readBody(MANIFEST_LIMIT);
            final Digest digest = Digest.of(bytes);
            final String announced = r.header("Docker-Content-Digest").orElse(null);
            if (announced != null && announced.startsWith("sha256:") && !announced.equals(digest.toString())) {
                throw new TransferException("the manifest of " + where() + ":" + reference + " hashes to " + digest
                        + ", the registry says " + announced);
            }
            if (reference.startsWith("sha256:") && !reference.equals(digest.toString())) {
                throw new TransferException("the manifest asked for as " + reference + " hashes to " + digest);
            }
            final String type = r.header("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
            return new FetchedManifest(bytes, type, digest);
        } catch (IOException e) {
            throw new TransferException("cannot fetch the manifest of " + where() + ":" + reference + " from "
                    + authority + ": " + e.getMessage(), e);
        }
    }

    URI blobUri(final Digest digest) {
        return base.resolve("blobs/" + digest);
    }

    /** The header that authorises blob downloads, once a manifest request has earned one. */
    Map<String, String> authHeaders() {
        final String a = authorization;
        return a == null ? Map.of() : Map.of("Authorization", a);
    }

    boolean hasBlob(final Digest digest) {
        try (Http.Response r = send(Http.Request.head(blobUri(digest)))) {
            if (r.status() == 404) {
                return false;
            }
            if (!r.ok()) {
                throw new TransferException("cannot check blob " + digest + " in " + where() + ": " + r.problem());
            }
            return true;
        } catch (IOException e) {
            throw new TransferException("cannot reach " + authority + ": " + e.getMessage(), e);
        }
    }

    /** Uploads a blob in one PUT (POST for a session, then PUT with the digest). */
    void upload(final Digest digest, final long size, final Supplier<InputStream> content, final TransferListener listener,
                final String label) {
        try {
            final URI location;
            try (Http.Response r = send(new Http.Request("POST", base.resolve("blobs/uploads/"), Map.of(),
                    HttpRequest.BodyPublishers.noBody()))) {
                if (r.status() != 202 || r.header("Location").isEmpty()) {
                    throw new TransferException("cannot start an upload to " + where() + ": " + r.problem());
                }
                location = r.uri().resolve(r.header("Location").get());
            }
            final String sep = location.getRawQuery() == null ? "?" : "&";
            final URI put = URI.create(location + sep + "digest=" + URLEncoder.encode(digest.toString(), StandardCharsets.UTF_8));
            final Supplier<InputStream> counted = () -> new Counting(content.get(), size, listener, label);
            final HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(counted), size);
            try (Http.Response r = send(new Http.Request("PUT", put, Map.of("Content-Type", "application/octet-stream"), body))) {
                if (r.status() != 201) {
                    throw new TransferException("uploading " + label + " (" + digest + ") to " + where() + " failed: " + r.problem());
                }
            }
            listener.bytes(label, size, size);
        } catch (IOException e) {
            throw new TransferException("uploading " + label + " to " + authority + " failed: " + e.getMessage(), e);
        }
    }

    /** PUTs a manifest under a tag; returns the digest the registry gives it. */
    Digest putManifest(final String tag, final byte[] bytes, final String mediaType) {
        final URI uri = base.resolve("manifests/" + tag);
        try (Http.Response r = send(new Http.Request("PUT", uri, Map.of("Content-Type", mediaType),
                HttpRequest.BodyPublishers.ofByteArray(bytes)))) {
            if (r.status() != 201 && r.status() != 200) {
                throw new TransferException("the registry refused the manifest of " + where() + ":" + tag + ": " + r.problem());
            }
            final String announced = r.header("Docker-Content-Digest").orElse(null);
            return announced != null && announced.startsWith("sha256:") ? Digest.parse(announced) : Digest.of(bytes);
        } catch (IOException e) {
            throw new TransferException("cannot push the manifest to " + authority + ": " + e.getMessage(), e);
        }
    }

    /** Sends with the current authorisation; on a 401 answers the challenge once and sends again. */
    private Http.Response send(final Http.Request request) throws IOException {
        final Http.Response first = http.send(authorised(request));
        if (first.status() != 401) {
            return first;
        }
        final String challenge = first.header("WWW-Authenticate").orElse("");
        final String problem = first.problem();
        first.close();
        authorization = answer(challenge, problem);
        return http.send(authorised(request));
    }

    private Http.Request authorised(final Http.Request r) {
        final String a = authorization;
        return a == null ? r : r.with("Authorization", a);
    }

    private String answer(final String challenge, final String problem) throws IOException {
        final Map<String, String> params = new LinkedHashMap<>();
        final Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        final String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(java.util.Locale.ROOT);
        if (scheme.equals("basic")) {
            if (settings.registryUser() == null) {
                throw new TransferException(authority + " asks for a user name and password (" + problem
                        + "); set STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD");
            }
            return basic();
        }
        if (!scheme.equals("bearer") || !params.containsKey("realm")) {
            throw new TransferException(authority + " refused the request (" + problem + ") and offers no token"
                    + " service (WWW-Authenticate: " + (challenge.isEmpty() ? "none" : challenge) + ")");
        }
        final StringBuilder q = new StringBuilder();
        if (params.containsKey("service")) {
            q.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        final String scope = params.getOrDefault("scope", "repository:" + repository + ":" + actions);
        q.append(q.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        final String realm = params.get("realm");
        final URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + q);
        Http.Request tokenRequest = Http.Request.get(tokenUri);
        if (settings.registryUser() != null) {
            tokenRequest = tokenRequest.with("Authorization", basic());
        }
        try (Http.Response r = http.send(tokenRequest)) {
            if (!r.ok()) {
                throw new TransferException("the token service " + realm + " of " + authority + " refused: " + r.problem());
            }
            final JsonNode n = JSON.readTree(r.readBody(1 << 20));
            final JsonNode token = n.hasNonNull("token") ? n.get("token") : n.get("access_token");
            if (token == null || !token.isTextual() || token.asText().isEmpty()) {
                throw new TransferException("the token service " + realm + " answered without a token");
            }
            return "Bearer " + token.asText();
        }
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((settings.registryUser() + ":"
                + (settings.registryPassword() == null ? "" : settings.registryPassword())).getBytes(StandardCharsets.UTF_8));
    }

    /** Reports upload progress every MiB. */
    private static final class Counting extends FilterInputStream {
        private final long size;
        private final TransferListener listener;
        private final String label;
        private long sent;
        private long reported;

        Counting(final InputStream in, final long size, final TransferListener listener, final String label) {
            super(in);
            this.size = size;
            this.listener = listener;
            this.label = label;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            final int n = super.read(b, off, len);
            if (n > 0) {
                sent += n;
                if (sent - reported >= (1 << 20)) {
                    reported = sent;
                    listener.bytes(label, sent, size);
                }
            }
            return n;
        }
    }

}
