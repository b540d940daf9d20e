package io.strata.transport;

/**
 * Aeron channel URIs for the data plane: UDP unicast between processes (each receiver binds one endpoint and
 * streams are told apart by stream id), IPC inside one process. Terms are 4 MiB, so one message carries at most
 * 512 KiB (a term / 8); {@link TensorSender} chunks anything larger.
 */
public final class Channels {
    public static final int TERM_LENGTH = 4 << 20;
    private static final String TUNING = "|mtu=8192|term-length=" + TERM_LENGTH;

    private Channels() {
    }

    /** The channel a receiver at host:port subscribes to, and its senders publish to. */
    public static String udp(String host, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a UDP port: " + port);
        }
        return "aeron:udp?endpoint=" + host + ":" + port + TUNING;
    }

    /** Shared memory between two parties in one process. */
    public static String ipc() {
        return "aeron:ipc?term-length=" + TERM_LENGTH;
    }
}
