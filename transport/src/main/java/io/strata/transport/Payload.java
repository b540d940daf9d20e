package io.strata.transport;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The element layouts of a frame's payload: little-endian, 4-byte, not necessarily aligned. */
final class Payload {
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Payload() {
    }
}
