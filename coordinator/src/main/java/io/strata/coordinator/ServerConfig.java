package io.strata.coordinator;

import java.util.Set;

/**
 * The HTTP server's settings.
 *
 * @param host               interface to listen on
 * @param port               port (0 = any free port)
 * @param apiKeys            accepted bearer tokens; empty = no authentication
 * @param maxBodyBytes       largest request body; larger ones get 413
 * @param readyWindowSeconds /ready answers 200 only if a real generation succeeded within this many seconds
 */
public record ServerConfig(String host, int port, Set<String> apiKeys, long maxBodyBytes, int readyWindowSeconds) {
    public ServerConfig {
        apiKeys = Set.copyOf(apiKeys);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
        }
        if (readyWindowSeconds < 1) {
            throw new IllegalArgumentException("readyWindowSeconds must be at least 1, got " + readyWindowSeconds);
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, Set.of(), 4L << 20, 30);
    }

    public ServerConfig withPort(int p) { return new ServerConfig(host, p, apiKeys, maxBodyBytes, readyWindowSeconds); }

    public ServerConfig withHost(String h) { return new ServerConfig(h, port, apiKeys, maxBodyBytes, readyWindowSeconds); }

    public ServerConfig withApiKeys(Set<String> keys) { return new ServerConfig(host, port, keys, maxBodyBytes, readyWindowSeconds); }

    public ServerConfig withMaxBodyBytes(long n) { return new ServerConfig(host, port, apiKeys, n, readyWindowSeconds); }
}
