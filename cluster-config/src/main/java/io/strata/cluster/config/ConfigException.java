package io.strata.cluster.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config file that cannot be used; the message lists every problem found, one a line, file and line first. */
public final class ConfigException extends RuntimeException {
    private final List<ConfigProblem> problems;

    /** Problems listed in the message; the rest are counted (all stay in {@link #problems()}). */
    public static final int MAX_LISTED = 50;

    public ConfigException(final List<ConfigProblem> problems) {
        super(problems.stream().limit(MAX_LISTED).map(ConfigProblem::toString).collect(Collectors.joining("\n"))
                + (problems.size() > MAX_LISTED
                        ? "\n... and " + (problems.size() - MAX_LISTED) + " more problems" : ""));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() { return problems; }
}
