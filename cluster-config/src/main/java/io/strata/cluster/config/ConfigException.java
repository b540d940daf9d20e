package io.strata.cluster.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config file that cannot be used; the message lists every problem found, one a line, file and line first. */
public final class ConfigException extends RuntimeException {
    private final List<ConfigProblem> problems;

    public ConfigException(final List<ConfigProblem> problems) {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() { return problems; }
}
