package io.strata.cli.pack;

import io.strata.cli.Main;
import io.strata.model.store.PackagedModel;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * The Main-Class of a jar written by {@code strata package}. {@code java -jar NAME.jar [FLAGS]} serves the packaged
 * model ({@code strata serve}), {@code java -jar NAME.jar run [PROMPT] [FLAGS]} runs it and {@code show} describes it.
 *
 * <p>The manifest's Add-Opens, Add-Exports and Enable-Native-Access give a plain {@code java -jar} most of what Strata
 * needs, but a jar cannot add a module to the boot layer, and the kernels need {@code jdk.incubator.vector}. So
 * unless that module is already there (the user ran {@code java --add-modules jdk.incubator.vector -jar NAME.jar}),
 * this class starts the same {@code java} again with Strata's JVM flags (the manifest's {@value #FLAGS_ATTRIBUTE}),
 * this JVM's own options (-Xmx and the like) and the jar as the class path, forwards standard input and output,
 * exits with its status, and stops it when this JVM is stopped. The second JVM watches the first and exits if it
 * disappears, so no server outlives its launcher.
 */
public final class PackageLauncher {
    /** Manifest attribute: the JVM flags the relaunched JVM gets (the root pom's strata.jvm.flags). */
    public static final String FLAGS_ATTRIBUTE = "Strata-Jvm-Flags";
    /** System property of the relaunched JVM: the process id of the JVM that started it. */
    static final String PARENT_PROPERTY = "strata.package.parent";
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final Set<String> COMMANDS = Set.of("serve", "run", "show");
    private static final java.util.regex.Pattern GC_FLAG = java.util.regex.Pattern.compile("-XX:\\+Use\\w+GC");

    private PackageLauncher() {
    }

    public static void main(final String[] args) throws Exception {
        final Path jar = ownJar();
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()) {
            runHere(jar, args);
        } else {
            System.exit(relaunch(jar, args));
        }
    }

    /** The strata command line for this jar's arguments: the packaged model's name goes after the command. */
    static String[] commandLine(final String model, final String[] args) {
        final List<String> out = new ArrayList<>();
        if (args.length == 0 || args[0].startsWith("-")) {
            out.add("serve");
            out.add(model);
            out.addAll(Arrays.asList(args));
        } else if (COMMANDS.contains(args[0])) {
            out.add(args[0]);
            out.add(model);
            out.addAll(Arrays.asList(args).subList(1, args.length));
        } else {
            throw new IllegalArgumentException("unknown command '" + args[0] + "': this jar serves " + model
                    + " (no command, or serve [FLAGS]), runs it (run [PROMPT] [FLAGS]) or describes it (show)");
        }
        return out.toArray(String[]::new);
    }

    private static void runHere(final Path jar, final String[] args) {
        if (System.getProperty(PackagedModel.PROPERTY) == null) {
            System.setProperty(PackagedModel.PROPERTY, jar.toString());
        }
        watchParent();
        final String[] command;
        try {
            command = commandLine(PackagedModel.open(jar).name(), args);
        } catch (RuntimeException e) {
            System.err.println("strata: " + e.getMessage());
            System.exit(1);
            return;
        }
        Main.main(command);
    }

    /** In the relaunched JVM: exit when the launching JVM is gone (killed without a chance to stop this one). */
    private static void watchParent() {
        final String parent = System.getProperty(PARENT_PROPERTY);
        if (parent != null) {
            ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
                    h -> h.onExit().thenRun(() -> System.exit(1)), () -> System.exit(1));
        }
    }

    private static int relaunch(final Path jar, final String[] args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        final List<String> own = ManagementFactory.getRuntimeMXBean().getInputArguments();
        final boolean ownCollector = own.stream().anyMatch(a -> GC_FLAG.matcher(a).matches());
        for (String flag : jvmFlags(jar)) {
            if (!(ownCollector && GC_FLAG.matcher(flag).matches())) {
                cmd.add(flag); // a collector the user chose wins: the JVM refuses two
            }
        }
        cmd.addAll(own);
        cmd.add("-D" + PARENT_PROPERTY + "=" + ProcessHandle.current().pid());
        cmd.add("-cp");
        cmd.add(jar.toString());
        cmd.add(PackageLauncher.class.getName());
        cmd.addAll(Arrays.asList(args));
        final Process child = new ProcessBuilder(cmd).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child), "strata-launcher-stop"));
        return child.waitFor();
    }

    /** Asks the child to stop (SIGTERM: its own shutdown closes the server), then insists after 30 s. */
    private static void stop(final Process child) {
        if (!child.isAlive()) {
            return;
        }
        child.destroy();
        try {
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> jvmFlags(final Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            final String flags = j.getManifest() == null ? null
                    : j.getManifest().getMainAttributes().getValue(FLAGS_ATTRIBUTE);
            if (flags == null || flags.isBlank()) {
                return List.of("--add-modules", VECTOR_MODULE);
            }
            return List.of(flags.trim().split("\\s+"));
        }
    }

    private static Path ownJar() throws URISyntaxException {
        return Path.of(PackageLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
