package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;

/** One event of an intent's event stream (DESIGN.md §4 names the types). */
public record IntentEvent(long seq, String type, long timeNanos, JsonNode data) implements CborSerializable {}
