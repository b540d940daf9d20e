package io.strata.cli;

import io.strata.model.remote.TransferListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Pull and push progress on stderr, as {@code ollama pull} shows it: a line per step and a bar redrawn in place
 * ({@code \r}) for the blob in flight. Only on a terminal: piped or redirected, {@link #forTerminal()} is quiet.
 */
final class ProgressBar implements TransferListener {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private boolean barShown;
    private String barLabel;
    private long startNanos;
    private long lastDrawNanos;

    ProgressBar(final PrintStream out) {
        this.out = out;
    }

    /** A bar on stderr when stdout or stderr is a terminal, else nothing. */
    static TransferListener forTerminal() {
        final java.io.Console c = System.console();
        return c != null && c.isTerminal() ? new ProgressBar(System.err) : TransferListener.QUIET;
    }

    @Override
    public synchronized void step(final String line) {
        endBar();
        out.println(line);
        out.flush();
    }

    @Override
    public synchronized void bytes(final String label, final long done, final long total) {
        final long now = System.nanoTime();
        if (!label.equals(barLabel)) {
            endBar();
            barLabel = label;
            startNanos = now;
        } else if (now - lastDrawNanos < 100_000_000L && done != total) {
            return;
        }
        lastDrawNanos = now;
        out.print("\r" + render(label, done, total, (now - startNanos) / 1e9) + "\u001b[K");
        out.flush();
        barShown = true;
    }

    /** {@code label  42% ▕████████      ▏ 1.2 MB/2.9 MB  3.1 MB/s}. */
    static String render(final String label, final long done, final long total, final double seconds) {
        final StringBuilder sb = new StringBuilder(label).append("  ");
        if (total > 0) {
            final int percent = (int) Math.min(100, done * 100 / total);
            final int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            sb.append(String.format(Locale.ROOT, "%3d%% ", percent)).append('\u2595')
                    .append("\u2588".repeat(filled)).append(" ".repeat(WIDTH - filled)).append('\u258f').append(' ')
                    .append(ListCommand.humanBytes(done)).append('/').append(ListCommand.humanBytes(total));
        } else {
            sb.append(ListCommand.humanBytes(done));
        }
        if (seconds > 0.5) {
            sb.append("  ").append(ListCommand.humanBytes((long) (done / seconds))).append("/s");
        }
        return sb.toString();
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
        barLabel = null;
    }
}
