package io.strata.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * A flyweight over the fixed 56-byte header that starts every frame, little-endian:
 *
 * <pre>
 *  0 int   magic 'STRA'        4 short version       6 byte kind       7 byte dtype (0 = F32, 1 = I32)
 *  8 long  plan version       16 long  step          24 int batch id
 * 28 int   rows               32 int   cols          36 int chunk index 40 int chunk count
 * 44 int   elements in chunk  48 int   sender        52 int element offset of the chunk
 * </pre>
 *
 * followed by the chunk's elements (4 bytes each). A tensor larger than one Aeron message travels as several chunks, each with
 * the whole tensor's shape and its own offset, so the receiver can place it without buffering.
 */
public final class FrameHeader {
    public static final int LENGTH = 56;
    public static final int MAGIC = 0x41525453; // "STRA" little-endian
    public static final short VERSION = 1;
    public static final byte DTYPE_F32 = 0;
    public static final byte DTYPE_I32 = 1;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private int offset;

    public FrameHeader wrap(DirectBuffer b, int off) {
        this.buffer = b;
        this.offset = off;
        return this;
    }

    public void write(MutableDirectBuffer b, int off, FrameKind kind, byte dtype, long planVersion, long step,
                      int batchId, int rows, int cols, int chunkIndex, int chunkCount, int floats, int sender,
                      int elementOffset) {
        b.putInt(off, MAGIC, LE);
        b.putShort(off + 4, VERSION, LE);
        b.putByte(off + 6, (byte) kind.ordinal());
        b.putByte(off + 7, dtype);
        b.putLong(off + 8, planVersion, LE);
        b.putLong(off + 16, step, LE);
        b.putInt(off + 24, batchId, LE);
        b.putInt(off + 28, rows, LE);
        b.putInt(off + 32, cols, LE);
        b.putInt(off + 36, chunkIndex, LE);
        b.putInt(off + 40, chunkCount, LE);
        b.putInt(off + 44, floats, LE);
        b.putInt(off + 48, sender, LE);
        b.putInt(off + 52, elementOffset, LE);
    }

    /** Null when the frame is well-formed for a message of {@code length} bytes, else what is wrong with it. */
    public String problem(int length) {
        if (length < LENGTH) {
            return "a frame of " + length + " bytes is shorter than the " + LENGTH + "-byte header";
        }
        if (buffer.getInt(offset, LE) != MAGIC) {
            return "bad magic 0x" + Integer.toHexString(buffer.getInt(offset, LE));
        }
        if (buffer.getShort(offset + 4, LE) != VERSION) {
            return "protocol version " + buffer.getShort(offset + 4, LE) + ", expected " + VERSION;
        }
        if (kind() == null) {
            return "unknown frame kind " + buffer.getByte(offset + 6);
        }
        if (dtype() != DTYPE_F32 && dtype() != DTYPE_I32) {
            return "unknown dtype " + dtype();
        }
        long elements = (long) rows() * cols();
        if (rows() < 0 || cols() < 0 || floats() < 0 || elementOffset() < 0
                || (long) elementOffset() + floats() > elements) {
            return "chunk of " + floats() + " floats at " + elementOffset() + " does not fit a " + rows() + "x" + cols() + " tensor";
        }
        if ((long) LENGTH + 4L * floats() != length) {
            return "a frame of " + length + " bytes cannot hold the " + floats() + " floats its header announces";
        }
        if (chunkCount() < 1 || chunkIndex() < 0 || chunkIndex() >= chunkCount()) {
            return "chunk " + chunkIndex() + " of " + chunkCount();
        }
        return null;
    }

    public FrameKind kind() { return FrameKind.of(buffer.getByte(offset + 6)); }

    public byte dtype() { return buffer.getByte(offset + 7); }

    public long planVersion() { return buffer.getLong(offset + 8, LE); }

    public long step() { return buffer.getLong(offset + 16, LE); }

    public int batchId() { return buffer.getInt(offset + 24, LE); }

    public int rows() { return buffer.getInt(offset + 28, LE); }

    public int cols() { return buffer.getInt(offset + 32, LE); }

    public int chunkIndex() { return buffer.getInt(offset + 36, LE); }

    public int chunkCount() { return buffer.getInt(offset + 40, LE); }

    public int floats() { return buffer.getInt(offset + 44, LE); }

    public int sender() { return buffer.getInt(offset + 48, LE); }

    public int elementOffset() { return buffer.getInt(offset + 52, LE); }
}
