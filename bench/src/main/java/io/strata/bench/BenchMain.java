package io.strata.bench;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The entry point of {@code benchmarks.jar}: JMH's own command line (every {@code org.openjdk.jmh.Main} option
 * works, e.g. {@code -l}, {@code -p type=Q8_0}, {@code -rf json}), plus the project's JVM flags for each fork. The
 * flags come from the root pom's {@code strata.jvm.flags}, filtered into {@code jvm-flags.properties} at build
 * time, so benchmarks run the JVM that tests and {@code bin/strata} run ({@code --add-modules jdk.incubator.vector}
 * and the rest) without repeating the list in every {@code @Fork}.
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws RunnerException, IOException {
        CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
                || cmd.shouldListResultFormats()) {
            // listing and help need no forks: JMH's own main does them
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Options options = new OptionsBuilder().parent(cmd).jvmArgsPrepend(jvmFlags()).build();
        new Runner(options).run();
    }

    static String[] jvmFlags() throws IOException {
        Properties p = new Properties();
        try (InputStream in = BenchMain.class.getResourceAsStream("jvm-flags.properties")) {
            if (in == null) {
                throw new IOException("jvm-flags.properties is missing from the class path: build with Maven");
            }
            p.load(in);
        }
        String flags = p.getProperty("jvm.flags", "").trim();
        return flags.isEmpty() ? new String[0] : flags.split("\\s+");
    }
}
