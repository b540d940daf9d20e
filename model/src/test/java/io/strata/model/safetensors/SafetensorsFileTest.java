package io.strata.model.safetensors;

import io.strata.model.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The safetensors reader on the real stories260K checkpoint and on hostile images. */
class SafetensorsFileTest {
    static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../shared/models"));

    static Path realFile() {
        final Path p = MODELS.resolve("derived/stories260K-hf/model.safetensors");
        if (!Files.exists(p)) {
            fail("missing shared file " + p.toAbsolutePath());
        }
        return p;
    }

    /** An image: the 8-byte length, the header text, then {@code data} bytes. */
    static MemorySegment image(final String header, final int data) {
        return image(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static MemorySegment image(final long declaredLength, final String header, final int data) {
        final byte[] h = header.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h);
        return MemorySegment.ofArray(b.array());
    }

    static ModelFormatException refused(final MemorySegment image) {
        return assertThrows(ModelFormatException.class, () -> SafetensorsFile.parse("bad.safetensors", image, null));
    }

    @Test
    void readsTheStoriesCheckpointWithItsShapesAndBytes() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(realFile())) {
            assertEquals(47, f.tensors().size());
            assertEquals("pt", f.metadata().get("format"));
            final SafetensorsTensor emb = f.tensor("model.embed_tokens.weight");
            assertEquals(SafetensorsDtype.F32, emb.dtype());
            assertArrayEquals(new long[] {512, 64}, emb.shape());
            assertEquals(512 * 64 * 4, f.data(emb).byteSize());
            assertEquals(0, f.dataStart() % 8, "the header is padded to 8 bytes");
            // the slice is the file's own bytes
            final byte[] all = Files.readAllBytes(realFile());
            final int at = (int) (f.dataStart() + emb.begin());
            assertEquals(ByteBuffer.wrap(all, at, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat(),
                    f.data(emb).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    @Test
    void aWellFormedImageWithEveryFieldParses() {
        final String h = "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[12,12]}}   ";
        final SafetensorsFile f = SafetensorsFile.parse("ok", image(h, 12), null);
        assertEquals(3, f.tensors().size());
        assertEquals(4, f.data(f.tensor("b")).byteSize());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not JSON                | {\"a\":                                                                          | 0 | invalid JSON",
            "not an object           | [1,2]                                                                            | 0 | must start with '{'",
            "unknown dtype           | {\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}                   | 1 | unknown dtype 'Q4'",
            "past the data           | {\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}                 | 8 | do not lie within the 8-byte data section",
            "size disagrees          | {\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}                  | 8 | holds 8 bytes, but F32 [3] needs 12",
            "negative dimension      | {\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}                 | 8 | negative value -2",
            "huge dimension          | {\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}} | 8 | impossible for 8 bytes",
            "begin after end         | {\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}                   | 8 | do not lie within",
            "overlap                 | {\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}} | 8 | overlap the previous tensor",
            "gap                     | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}                   | 8 | before it belong to no tensor",
            "trailing bytes          | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}                   | 8 | after the last tensor belong to no tensor",
            "duplicate name          | {\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}} | 8 | appears twice",
            "too many dimensions     | {\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}    | 1 | more than 8 entries",
            "missing offsets         | {\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}                                          | 1 | needs dtype, shape and data_offsets",
            "unknown field           | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}}             | 1 | unknown field 'x'",
            "offset beyond 2^63      | {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}} | 1 | integers below 2^63",
            "metadata not strings    | {\"__metadata__\":{\"k\":1}}                                                      | 0 | values must be strings",
            "nested arrays in shape  | {\"a\":{\"dtype\":\"U8\",\"shape\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],\"data_offsets\":[0,1]}} | 1 | must hold integers",
    })
    void hostileHeadersAreRefusedNamingTheProblem(final String what, final String header, final int data, final String message) {
        final ModelFormatException e = refused(image(header.strip(), data));
        assertTrue(e.getMessage().startsWith("bad.safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains(message.strip()), what + ": " + e.getMessage());
    }

    @Test
    void aHeaderLengthBeyondTheFileOrTheFormatsLimitIsRefusedBeforeAnyAllocation() {
        assertTrue(refused(image(1L << 40, "{}", 0)).getMessage().contains("exceeds the format's limit"));
        assertTrue(refused(image(-1L, "{}", 0)).getMessage().contains("exceeds the format's limit"));
        assertTrue(refused(image(1000, "{}", 0)).getMessage().contains("runs past the end of the file"));
        assertTrue(refused(MemorySegment.ofArray(new byte[5])).getMessage().contains("too short"));
    }

    @Test
    void aHeaderThatWouldTakeTooMuchHeapIsRefused() {
        final StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < 2000; i++) {
            h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        h.append('}');
        final MemorySegment img = image(h.toString(), 0);
        assertEquals(2000, SafetensorsFile.parse("ok", img, null).tensors().size());
        final ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new SafetensorsFile.Parser("small-budget", img, 100_000).parse(null));
        assertTrue(e.getMessage().contains("MiB of heap"), e.getMessage());
    }

    @Test
    void mutatedAndTruncatedRealFilesOnlyEverFailWithAModelFormatException() throws IOException {
        final byte[] original = Files.readAllBytes(realFile());
        final int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
        final Random random = new Random(Long.getLong("strata.fuzz.seed", 0x5afe_7e45L));
        int parsed = 0;
        final byte[] img = original.clone(); // changed in place and restored: copying 1 MB per case would dominate
        for (int c = 0; c < 1500; c++) {
            final int kind = random.nextInt(3);
            int length = img.length;
            int at = -1;
            String what;
            if (kind == 0) {
                at = random.nextInt(headerEnd);
                img[at] = (byte) random.nextInt(256);
                what = "byte " + at + " = " + img[at];
            } else if (kind == 1) {
                at = 8 + random.nextInt(headerEnd - 8);
                final byte digit = (byte) ('0' + random.nextInt(10));
                img[at] = Character.isDigit(img[at]) ? digit : img[at];
                what = "digit at " + at;
            } else {
                length = random.nextInt(img.length);
                what = "truncated to " + length;
            }
            try {
                SafetensorsFile.parse("case " + c, MemorySegment.ofArray(img).asSlice(0, length), null);
                parsed++;
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith("case " + c + ": "), e.getMessage());
            } catch (Throwable t) {
                throw new AssertionError("case " + c + " (" + what + ") threw " + t, t);
            } finally {
                if (at >= 0) {
                    img[at] = original[at];
                }
            }
        }
        assertTrue(parsed > 0, "some mutations (e.g. inside a name) leave a valid file");
    }
}
