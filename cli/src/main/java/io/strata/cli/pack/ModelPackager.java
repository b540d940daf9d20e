package io.strata.cli.pack;

import io.strata.model.store.PackagedModel;
import io.strata.model.store.TextLayer;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * Writes a model package: one runnable jar with the Strata runtime (every class and dependency of the cli module,
 * merged by {@link JarAssembler}), the model's GGUF stored uncompressed on a page boundary, and the descriptor
 * {@link PackagedModel} reads. The jar is written next to the output under a temporary name and moved into place,
 * so a failed run leaves no half-written jar.
 */
public final class ModelPackager {
    /** System property: the runtime class path to package instead of this JVM's (the build sets it for tests). */
    public static final String RUNTIME_PROPERTY = "strata.runtime.classpath";
    /** What the relaunched JVM's modules must open and export, as the manifest's attributes spell them. */
    static final String ADD_OPENS = "java.base/java.lang java.base/sun.nio.ch java.management/sun.management "
            + "jdk.management/com.sun.management.internal";
    static final String ADD_EXPORTS = "java.base/jdk.internal.misc java.base/jdk.internal.ref";

    private ModelPackager() {
    }

    /** The GGUF to package: {@code length} bytes at {@code offset} of {@code file}. */
    public record Source(Path file, long offset, long length) {}

    /** What was written. */
    public record Result(Path jar, long jarBytes, long modelBytes, int runtimeEntries, PackagedModel model) {}

    /** The class path entries of the runtime: {@value #RUNTIME_PROPERTY} if set, else this JVM's class path. */
    public static List<Path> runtimeClassPath() {
        final String cp = System.getProperty(RUNTIME_PROPERTY, System.getProperty("java.class.path", ""));
        final List<Path> out = new ArrayList<>();
        for (String s : cp.split(File.pathSeparator)) {
            if (!s.isBlank()) {
                out.add(Path.of(s));
            }
        }
        return out;
    }

    /**
     * Writes the package.
     *
     * @param jvmFlags the flags the launcher starts the serving JVM with
     */
    public static Result write(final Path output, final List<Path> runtime, final String name, final Source gguf,
                               final List<TextLayer> layers, final String jvmFlags, final String version)
            throws IOException {
        final Path target = output.toAbsolutePath();
        Files.createDirectories(target.getParent());
        final Path tmp = Files.createTempFile(target.getParent(), ".strata-package-", ".tmp");
        try {
            final Manifest manifest = new Manifest();
            final Attributes a = manifest.getMainAttributes();
            a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            a.put(Attributes.Name.MAIN_CLASS, PackageLauncher.class.getName());
            a.putValue("Add-Opens", ADD_OPENS);
            a.putValue("Add-Exports", ADD_EXPORTS);
            a.putValue("Enable-Native-Access", "ALL-UNNAMED");
            if (JarAssembler.anyMultiRelease(runtime)) {
                a.put(Attributes.Name.MULTI_RELEASE, "true");
            }
            a.putValue(PackageLauncher.FLAGS_ATTRIBUTE, jvmFlags);
            a.putValue("Created-By", "strata " + version);
            a.putValue("Strata-Model", name);
            final PackagedModel model;
            try (JarAssembler jar = new JarAssembler(tmp, manifest, Set.of("strata/"))) {
                for (Path p : runtime) {
                    jar.addClassPathEntry(p);
                }
                final JarAssembler.Placement at = jar.putAligned(PackagedModel.GGUF_ENTRY, gguf.file(), gguf.offset(),
                        gguf.length(), PackagedModel.ALIGNMENT);
                model = new PackagedModel(target, name, at.localHeaderOffset(), at.dataOffset(), at.length(),
                        at.sha256(), layers);
                jar.putBytes(PackagedModel.DESCRIPTOR, model.descriptorJson().getBytes(StandardCharsets.UTF_8));
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Result(target, Files.size(target), gguf.length(), runtime.size(), model);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
