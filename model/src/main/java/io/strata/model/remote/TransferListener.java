package io.strata.model.remote;

/**
 * What a pull or push reports as it goes: a line per step ("pulling manifest", "verifying sha256 digest") and the
 * bytes moved for a blob, called from a timer a few times a second and once when the blob is done. The library never
 * prints; the command decides (a progress bar on a terminal, nothing otherwise).
 */
public interface TransferListener {
    TransferListener QUIET = new TransferListener() {
        @Override
        public void step(final String line) {
        }

        @Override
        public void bytes(final String label, final long done, final long total) {
        }
    };

    void step(String line);

    /** {@code total} is -1 when the size is not known. */
    void bytes(String label, long done, long total);
}
