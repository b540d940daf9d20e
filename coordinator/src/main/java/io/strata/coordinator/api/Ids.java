package io.strata.coordinator.api;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Random request and response ids. */
public final class Ids {
    private Ids() {
    }

    public static String random() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
