package io.strata.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How every model file is opened: mapped read-only into a shared arena that the parsed result owns, every failure
 * reported as a {@link ModelFormatException} naming the path, and the arena closed on any failure so a refused file
 * leaves no mapping behind.
 */
public final class MappedFile {
    private MappedFile() {}

    /** Parses a mapped region; on success the result owns {@code arena} (and closes it with itself). */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String name, MemorySegment bytes, Arena arena);
    }

    /**
     * Maps the whole of {@code path} and parses it.
     *
     * @param kind what the file should be, for the error on a directory ("a GGUF file (give the path of ...)")
     */
    public static <T> T open(Path path, String kind, Parser<T> parser) {
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "is a directory, not " + kind);
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            // A pipe would block the open and a device has no size to map.
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "is not a regular file");
        }
        return map(path, 0, -1, path.toString(), parser);
    }

    /**
     * Maps {@code length} bytes at {@code offset} of {@code path} ({@code length} -1: to the end) and parses them
     * under {@code name} (for example {@code app.jar!/strata/model.gguf}).
     */
    public static <T> T map(Path path, long offset, long length, String name, Parser<T> parser) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = length < 0 ? ch.size() - offset : length;
            if (offset < 0 || size < 0 || offset > ch.size() - size) {
                throw new ModelFormatException(name, "region", offset, "the region of " + size
                        + " bytes at offset " + offset + " lies outside " + path + " (" + ch.size() + " bytes)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, offset, size, arena);
            return parser.parse(name, seg, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "file not found");
        } catch (AccessDeniedException e) {
            arena.close();
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "permission denied");
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "cannot read: " + e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }
}
