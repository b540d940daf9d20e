package io.strata.cluster.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SuggestionsTest {

    @Test
    void aSwappedPairOrOneWrongLetterFindsTheKnownKey() {
        final List<String> keys = List.of("aeron_port", "http_port", "memory", "threads", "backend");
        assertEquals(Optional.of("aeron_port"), Suggestions.closest("aeron_prot", keys));
        assertEquals(Optional.of("threads"), Suggestions.closest("thread", keys));
        assertEquals(Optional.of("memory"), Suggestions.closest("memroy", keys));
    }

    @Test
    void aWordFarFromEveryKeyGetsNoSuggestion() {
        assertEquals(Optional.empty(), Suggestions.closest("gpu_layers", List.of("aeron_port", "memory")));
    }

    @Test
    void editDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps() {
        assertEquals(0, Suggestions.editDistance("port", "port"));
        assertEquals(1, Suggestions.editDistance("port", "prot"));
        assertEquals(1, Suggestions.editDistance("port", "ports"));
        assertEquals(3, Suggestions.editDistance("kitten", "sitting"));
    }
}
