package io.strata.cli;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.ClusterConfigLoader;
import io.strata.cluster.config.CoordinatorSpec;
import io.strata.cluster.config.WorkerSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code strata cluster}: commands over a whole cluster config. */
@Command(name = "cluster", description = "Commands over a whole cluster config.", subcommands = ClusterCommand.Up.class)
final class ClusterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (up)");
    }

    /**
     * {@code strata cluster up}: starts every coordinator and worker the config places on this host, each its own
     * JVM, prints {@code coordinator: http://HOST:PORT} for each coordinator once it listens, and stays in the
     * foreground until interrupted, when it stops them all. Children's logs go to stderr, each line prefixed with
     * the process's name.
     */
    @Command(name = "up", description = "Start every process of a cluster config that runs on this host; stop them all on Ctrl-C.")
    static final class Up implements Callable<Integer> {
        private static final Pattern LISTENING = Pattern.compile("^coordinator \\S+: (http://\\S+)$");

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "The cluster config (YAML).")
        Path config;

        private final List<Child> children = new ArrayList<>();

        record Child(String name, Process process) {}

        @Override
        public Integer call() throws Exception {
            ClusterConfig c = ClusterConfigLoader.load(config);
            String file = config.toAbsolutePath().toString();
            Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "strata-cluster-stop"));
            int local = 0;
            for (CoordinatorSpec k : c.coordinators()) {
                if (isLocal(k.host())) {
                    start(k.name(), true, List.of("coordinator", "--config", file, "--name", k.name()));
                    local++;
                }
            }
            for (WorkerSpec w : c.workers()) {
                if (isLocal(w.host())) {
                    start(w.name(), false, List.of("worker", "--config", file, "--name", w.name()));
                    local++;
                }
            }
            if (local == 0) {
                throw new IllegalArgumentException(config + " places no process on this host");
            }
            while (true) {
                boolean anyAlive = false;
                synchronized (children) {
                    for (Child ch : children) {
                        anyAlive |= ch.process().isAlive();
                    }
                }
                if (!anyAlive) {
                    System.err.println("strata: every process of the cluster has exited");
                    return 1;
                }
                Thread.sleep(500);
            }
        }

        private void start(String name, boolean coordinator, List<String> args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).start();
            synchronized (children) {
                children.add(new Child(name, p));
            }
            forward(name, p.getErrorStream(), false);
            forward(name, p.getInputStream(), coordinator);
            p.onExit().thenAccept(done -> System.err.println("[" + name + "] exited with code " + done.exitValue()));
        }

        /** Copies a child's lines to stderr, prefixed; a coordinator's "listening" line also goes to stdout. */
        private static void forward(String name, InputStream in, boolean announce) {
            Thread.ofPlatform().daemon(true).name("strata-cluster-" + name).start(() -> {
                PrintStream err = System.err;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        Matcher m = announce ? LISTENING.matcher(line) : null;
                        if (m != null && m.matches()) {
                            System.out.println("coordinator: " + m.group(1));
                            System.out.flush();
                        }
                        err.println("[" + name + "] " + line);
                    }
                } catch (IOException e) {
                    // the child is gone
                }
            });
        }

        private void stopAll() {
            List<Child> all;
            synchronized (children) {
                all = List.copyOf(children);
            }
            all.forEach(ch -> ch.process().destroy());
            for (Child ch : all) {
                try {
                    if (!ch.process().waitFor(15, TimeUnit.SECONDS)) {
                        ch.process().destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    ch.process().destroyForcibly();
                }
            }
        }

        static boolean isLocal(String host) {
            try {
                InetAddress a = InetAddress.getByName(host);
                return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
