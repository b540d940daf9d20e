package io.strata.model.remote;

import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the environment says about remote sources. Each value is read from a system property first (for tests and
 * embedding), then the environment variable:
 * <ul>
 *   <li>{@code HF_ENDPOINT} ({@code strata.hf.endpoint}): the Hugging Face Hub, default {@value #HF_DEFAULT};</li>
 *   <li>{@code HF_TOKEN} or {@code HUGGING_FACE_HUB_TOKEN} ({@code strata.hf.token}): sent as a Bearer token to
 *       the Hub only, never to the host a download is redirected to;</li>
 *   <li>{@code STRATA_INSECURE_REGISTRIES} ({@code strata.insecure.registries}): comma-separated {@code host[:port]}
 *       reached over plain http; loopback hosts always are (as Docker treats {@code 127.0.0.0/8});</li>
 *   <li>{@code STRATA_REGISTRY_USERNAME} and {@code STRATA_REGISTRY_PASSWORD}: credentials for a registry's token
 *       service or Basic challenge (anonymous otherwise).</li>
 * </ul>
 */
public record RemoteSettings(URI hfEndpoint, String hfToken, Set<String> insecureRegistries, String registryUser,
                             String registryPassword, DownloadOptions download) {
    public static final String HF_DEFAULT = "https://huggingface.co";

    public RemoteSettings {
        insecureRegistries = Set.copyOf(insecureRegistries);
    }

    public static RemoteSettings fromEnvironment() {
        String endpoint = setting("strata.hf.endpoint", "HF_ENDPOINT");
        if (endpoint == null) {
            endpoint = HF_DEFAULT;
        }
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        String token = setting("strata.hf.token", "HF_TOKEN");
        if (token == null) {
            token = System.getenv("HUGGING_FACE_HUB_TOKEN");
        }
        final String insecure = setting("strata.insecure.registries", "STRATA_INSECURE_REGISTRIES");
        final Set<String> hosts = insecure == null ? Set.of() : Arrays.stream(insecure.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        return new RemoteSettings(URI.create(endpoint), token == null || token.isBlank() ? null : token.strip(), hosts,
                System.getenv("STRATA_REGISTRY_USERNAME"), System.getenv("STRATA_REGISTRY_PASSWORD"),
                DownloadOptions.DEFAULT);
    }

    public RemoteSettings withHf(final URI endpoint, final String token) {
        return new RemoteSettings(endpoint, token, insecureRegistries, registryUser, registryPassword, download);
    }

    public RemoteSettings withDownload(final DownloadOptions options) {
        return new RemoteSettings(hfEndpoint, hfToken, insecureRegistries, registryUser, registryPassword, options);
    }

    public RemoteSettings withInsecure(final String authority) {
        final Set<String> hosts = new java.util.HashSet<>(insecureRegistries);
        hosts.add(authority.toLowerCase(Locale.ROOT));
        return new RemoteSettings(hfEndpoint, hfToken, hosts, registryUser, registryPassword, download);
    }

    /** {@code http} for a loopback or listed registry, else {@code https}. */
    public String registryScheme(final String authority) {
        final String a = authority.toLowerCase(Locale.ROOT);
        return insecureRegistries.contains(a) || insecureRegistries.contains(host(a)) || isLoopback(host(a)) ? "http" : "https";
    }

    static String host(final String authority) {
        if (authority.startsWith("[")) {
            return authority.substring(0, authority.indexOf(']') + 1);
        }
        final int colon = authority.lastIndexOf(':');
        return colon >= 0 ? authority.substring(0, colon) : authority;
    }

    static boolean isLoopback(final String host) {
        return host.equals("localhost") || host.equals("[::1]") || host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    }

    private static String setting(final String property, final String env) {
        final String p = System.getProperty(property);
        if (p != null && !p.isBlank()) {
            return p;
        }
        final String e = System.getenv(env);
        return e == null || e.isBlank() ? null : e;
    }
}
