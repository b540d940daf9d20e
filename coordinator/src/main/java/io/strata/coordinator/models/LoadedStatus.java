package io.strata.coordinator.models;

import io.strata.coordinator.ServedModel;

import java.time.Instant;

/**
 * A loaded model as Ollama's {@code /api/ps} reports it.
 *
 * @param busy      whether requests hold it now
 * @param expiresAt when it is unloaded if no request comes: null for never; for a busy model, its keep-alive from now
 */
public record LoadedStatus(ServedModel model, boolean busy, Instant expiresAt) {
}
