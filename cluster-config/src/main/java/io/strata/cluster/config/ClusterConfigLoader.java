package io.strata.cluster.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Reads a cluster YAML file into a {@link ClusterConfig}. SnakeYAML only composes the node tree (positions, no
 * objects built from tags); every field is read by hand so that each problem names its file, line and field,
 * and all of them are reported at once. Hostile files are stopped early: at most {@link #MAX_FILE_BYTES}, nesting
 * at most {@link #MAX_NESTING_DEPTH} deep, at most {@link #MAX_COLLECTION_ALIASES} aliases to lists or mappings
 * (an alias bomb needs many), no recursive keys.
 */
public final class ClusterConfigLoader {
    public static final int MAX_FILE_BYTES = 1 << 20;
    public static final int MAX_NESTING_DEPTH = 16;
    public static final int MAX_COLLECTION_ALIASES = 16;
    public static final int MAX_THREADS = 4096;
    public static final int MAX_PORT_COUNT = 100;

    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ClusterConfigLoader() {}

    /** Loads and validates {@code file}; problems are reported with the file's name as given. */
    public static ClusterConfig load(final Path file) {
        final String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        final byte[] bytes;
        try {
            final long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw single(name, 0, tooLarge(size));
            }
            bytes = Files.readAllBytes(file);
        } catch (final IOException e) {
            throw single(name, 0, "cannot read the file: " + e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw single(name, 0, tooLarge(bytes.length));
        }
        try {
            final String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return parse(name, text);
        } catch (final CharacterCodingException e) {
            throw single(name, 0, "is not UTF-8 text");
        }
    }

    /** Parses config text; {@code fileName} appears in every problem. */
    public static ClusterConfig parse(final String fileName, final String text) {
        if (text.length() > MAX_FILE_BYTES) {
            throw single(fileName, 0, tooLarge(text.length()));
        }
        final Node root;
        try {
            root = new Yaml(loaderOptions()).compose(new java.io.StringReader(text));
        } catch (final MarkedYAMLException e) {
            final Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw single(fileName, mark == null ? 0 : mark.getLine() + 1, "not valid YAML: " + e.getProblem());
        } catch (final YAMLException e) {
            throw single(fileName, 0, refusedByLimit(e.getMessage()));
        }
        if (root == null) {
            throw single(fileName, 0, "the file is empty");
        }
        final Problems problems = new Problems(fileName);
        final ClusterConfig config = read(root, problems);
        problems.throwIfAny();
        CrossChecks.check(config, problems);
        problems.throwIfAny();
        return config;
    }

    static LoaderOptions loaderOptions() {
        final LoaderOptions o = new LoaderOptions();
        o.setCodePointLimit(MAX_FILE_BYTES);
        o.setNestingDepthLimit(MAX_NESTING_DEPTH);
        o.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
        o.setAllowRecursiveKeys(false);
        o.setAllowDuplicateKeys(false);
        o.setProcessComments(false);
        return o;
    }

    private static ClusterConfig read(final Node root, final Problems problems) {
        final YamlMapping top = YamlMapping.of(root, "", problems);
        if (top == null) {
            problems.throwIfAny();
        }
        final String clusterName = top.string("cluster_name");
        if (!clusterName.isEmpty() && !CLUSTER_NAME.matcher(clusterName).matches()) {
            problems.at("cluster_name", "'" + Problems.shown(clusterName)
                    + "' may hold only letters, digits, '.', '_' and '-'");
        }
        final HazelcastSettings hazelcast = hazelcast(top.mapping("hazelcast"), problems);
        final List<CoordinatorSpec> coordinators = top.sequence("coordinators").stream()
                .map(e -> coordinator(YamlMapping.of(e.node(), e.path(), problems))).toList();
        final List<WorkerSpec> workers = top.sequence("workers").stream()
                .map(e -> worker(YamlMapping.of(e.node(), e.path(), problems))).toList();
        final String model = top.string("model");
        final OptionalInt context = top.has("context_length")
                ? OptionalInt.of(top.integer("context_length", 1, Integer.MAX_VALUE, "a positive token count"))
                : OptionalInt.empty();
        final int slots = top.integer("slots", 8, 1, 65536, "a slot count (1-65536)");
        final int replicas = top.integer("replicas", 1, 1, 1024, "a replica count (1-1024)");
        final int pp = top.integer("pipeline_parallel", 1, 1, 1024, "a stage count (1-1024)");
        final int tp = top.integer("tensor_parallel", 1, 1, 1024, "a rank count (1-1024)");
        top.finish();
        return new ClusterConfig(clusterName, hazelcast, coordinators, workers, model, context, slots,
                replicas, pp, tp);
    }

    private static HazelcastSettings hazelcast(final YamlMapping m, final Problems problems) {
        if (m == null) {
            return new HazelcastSettings(List.of(), 1);
        }
        final List<SeedMember> seeds = new ArrayList<>();
        for (final YamlMapping.Element e : m.sequence("seed_members")) {
            final YamlMapping s = YamlMapping.of(e.node(), e.path(), problems);
            if (s != null) {
                seeds.add(new SeedMember(s.string("host"), s.port("port")));
                s.finish();
            }
        }
        if (seeds.isEmpty() && m.has("seed_members")) {
            problems.at(m.field("seed_members"), "list at least one member to join");
        }
        final int portCount = m.integer("port_count", 1, 1, MAX_PORT_COUNT, "a port count (1-" + MAX_PORT_COUNT + ")");
        m.finish();
        for (int i = 0; i < seeds.size(); i++) {
            if (seeds.get(i).port() + portCount - 1 > YamlMapping.MAX_PORT) {
                problems.at(m.field("seed_members") + "[" + i + "].port", "port " + seeds.get(i).port()
                        + " with port_count " + portCount + " runs past " + YamlMapping.MAX_PORT);
            }
        }
        return new HazelcastSettings(seeds, portCount);
    }

    private static CoordinatorSpec coordinator(final YamlMapping m) {
        if (m == null) {
            return new CoordinatorSpec("", "", 0, 0);
        }
        final CoordinatorSpec c = new CoordinatorSpec(m.string("name"), m.string("host"), m.port("http_port"),
                m.port("hazelcast_port"), m.has("aeron_port") ? m.port("aeron_port") : 0);
        m.finish();
        return c;
    }

    private static WorkerSpec worker(final YamlMapping m) {
        if (m == null) {
            return new WorkerSpec("", "", 0, 0, new ByteSize(0), 0, Backend.CPU);
        }
        final WorkerSpec w = new WorkerSpec(
                m.string("name"),
                m.string("host"),
                m.port("aeron_port"),
                m.port("http_port"),
                m.parsed("memory", ByteSize::parse, new ByteSize(0)),
                m.integer("threads", 1, MAX_THREADS, "a thread count (1-" + MAX_THREADS + ")"),
                Backend.byConfigName(m.choice("backend", Backend.configNames())),
                m.has("hazelcast_port") ? m.port("hazelcast_port") : 0);
        m.finish();
        return w;
    }

    /** SnakeYAML's limit messages carry no position; say which limit, and why it exists. */
    private static String refusedByLimit(final String message) {
        final String m = message == null ? "" : message;
        if (m.contains("aliases")) {
            return "more than " + MAX_COLLECTION_ALIASES + " aliases (*name) to lists or mappings; a cluster config"
                    + " needs few, and many are how alias bombs exhaust memory";
        }
        if (m.contains("Nesting Depth")) {
            return "nested more than " + MAX_NESTING_DEPTH + " levels deep; a cluster config needs 4";
        }
        return "not accepted: " + m;
    }

    private static String tooLarge(final long bytes) {
        return "the file is " + bytes + " bytes; a cluster config is at most " + MAX_FILE_BYTES + " bytes";
    }

    private static ConfigException single(final String file, final int line, final String message) {
        return new ConfigException(List.of(new ConfigProblem(file, line, "", message)));
    }
}
