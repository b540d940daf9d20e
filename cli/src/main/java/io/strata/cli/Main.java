package io.strata.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code strata} command. Errors a user sees are one line; {@code --verbose} adds the stack trace. */
@Command(name = "strata", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Strata: run GGUF models and Hugging Face safetensors directories (llama, qwen2, qwen3) on the JVM.",
        subcommands = {ServeCommand.class, BenchServeCommand.class, BenchTransportCommand.class, RunCommand.class,
                ShowCommand.class, TokenizeCommand.class, SynthCommand.class, BenchCommand.class, CreateCommand.class,
                ListCommand.class, RmCommand.class, CpCommand.class, PullCommand.class, PushCommand.class,
                PackageCommand.class, WorkerCommand.class, CoordinatorCommand.class, ClusterCommand.class,
                ConvertCommand.class, QuantizeCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces with errors.")
    static boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (serve, run, show, tokenize, synth, bench)");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = execute(args);
        } catch (Throwable e) { // an Error out of a command: still one line, and the process must end
            System.err.println("strata: " + oneLine(e));
            if (verbose) {
                e.printStackTrace();
            }
            code = 1;
        }
        System.exit(code);
    }

    static int execute(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("strata: " + oneLine(e));
            if (verbose) {
                e.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return 1;
        });
        return cl.execute(args);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + m + "); give the JVM more with STRATA_JAVA_OPTS=-Xmx...";
        }
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    /** Reads the version Maven wrote into version.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[]{"strata " + p.getProperty("version", "unknown")};
        }
    }
}
