package io.strata.coordinator.generation;

import java.util.List;

/**
 * One generated token's log-probability and its most likely alternatives, as text for the APIs.
 *
 * @param id      the token's id
 * @param token   the token's text (invalid UTF-8 of a partial character replaced)
 * @param bytes   the token's raw bytes
 * @param logprob natural log of its probability
 * @param top     the most likely tokens at that position, descending
 */
public record LogprobEntry(int id, String token, byte[] bytes, float logprob, List<Alternative> top) {
    public record Alternative(int id, String token, byte[] bytes, float logprob) {
    }
}
