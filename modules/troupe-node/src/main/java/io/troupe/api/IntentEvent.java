package io.troupe.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One event of an intent's stream, as {@code GET /v1/intents/{id}/events} sends it: {@code type} is
 * e.g. {@code intent.accepted}, {@code model.delta}, {@code tool.started}, {@code intent.succeeded}.
 */
public record IntentEvent(String intentId, long seq, String type, JsonNode data) {}
