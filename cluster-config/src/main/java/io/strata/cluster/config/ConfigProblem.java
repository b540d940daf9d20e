package io.strata.cluster.config;

/**
 * One thing wrong with a config file, at a line and a field path such as {@code workers[1].aeron_port}.
 * Printed as {@code cluster.yaml:14: workers[1].aeron_port: 70000 is not a port (1-65535)}.
 */
public record ConfigProblem(String file, int line, String field, String message) {
    @Override
    public String toString() {
        final String where = line > 0 ? file + ":" + line : file;
        return field.isEmpty() ? where + ": " + message : where + ": " + field + ": " + message;
    }
}
