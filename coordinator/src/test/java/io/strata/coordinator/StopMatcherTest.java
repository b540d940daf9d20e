package io.strata.coordinator;

import io.strata.coordinator.generation.StopMatcher;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopMatcherTest {
    @Test
    void aStopStringArrivingInPiecesIsCutAndNothingOfItIsReleased() {
        StopMatcher m = new StopMatcher(List.of("<|end|>"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[]{"Hello", " wor", "ld<", "|e", "nd", "|> ignored"}) {
            out.append(m.push(piece));
            assertFalse(out.toString().contains("<"), out.toString());
        }
        assertTrue(m.stopped());
        assertEquals("Hello world", out.toString());
        assertEquals("", m.flush());
    }

    @Test
    void aHeldBackPrefixThatDoesNotCompleteIsReleasedLaterOrAtTheEnd() {
        StopMatcher m = new StopMatcher(List.of("STOP"));
        assertEquals("ab", m.push("abST"));
        assertEquals("STx", m.push("x"));
        assertEquals("", m.push("S"));
        assertEquals("S", m.flush());
        assertFalse(m.stopped());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopMatcher m = new StopMatcher(List.of("cd", "b"));
        assertEquals("a", m.push("abcd"));
        assertTrue(m.stopped());
    }

    @Test
    void withoutStopStringsEverythingPassesAtOnce() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals("anything", m.push("anything"));
        assertEquals("", m.flush());
    }
}
