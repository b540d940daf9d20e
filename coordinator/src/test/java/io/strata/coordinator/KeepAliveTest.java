package io.strata.coordinator;

import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.JsonRequest;
import io.strata.coordinator.models.KeepAlive;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ollama's keep_alive: Go durations and numbers of seconds; negative is for ever. */
class KeepAliveTest {
    private static final long S = 1_000_000_000L;

    private static KeepAlive json(String v) throws Exception {
        return KeepAlive.fromJson(JsonRequest.MAPPER.readTree(v), "keep_alive");
    }

    @Test
    void goDurationsAndSecondsAsOllamaReadsThem() throws Exception {
        assertEquals(300 * S, KeepAlive.parse("5m").nanos());
        assertEquals(5400 * S, KeepAlive.parse("1h30m").nanos());
        assertEquals(1500_000_000L, KeepAlive.parse("1.5s").nanos());
        assertEquals(250_000_000L, KeepAlive.parse("250ms").nanos());
        assertTrue(KeepAlive.parse("0").zero());
        assertTrue(KeepAlive.parse("0s").zero());
        assertTrue(KeepAlive.parse("-1m").forever());
        assertEquals(90 * S, KeepAlive.parse("90").nanos(), "OLLAMA_KEEP_ALIVE also takes seconds");
        assertEquals(30 * S, json("30").nanos());
        assertTrue(json("-1").forever());
        assertTrue(json("0").zero());
        assertEquals(600 * S, json("\"10m\"").nanos());
        assertNull(json("null"));
    }

    @Test
    void anythingElseIsRefusedNamingTheText() throws Exception {
        for (String bad : new String[]{"soon", "m5", "5x", "", "1h 30m"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeepAlive.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "' is not a duration"), e.getMessage());
        }
        ApiException e = assertThrows(ApiException.class, () -> json("\"soon\""));
        assertEquals(400, e.status());
        assertEquals("keep_alive", e.param());
        assertThrows(ApiException.class, () -> json("true"));
    }
}
