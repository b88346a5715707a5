package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import java.util.List;

/**
 * The intent resource of the HTTP contract (DESIGN.md §4), as the session entity knows it;
 * {@code sessionUsage} sums the usage of every intent of its session so far.
 */
public record IntentView(
    String id,
    String sessionId,
    IntentStatus status,
    String text,
    JsonNode metadata,
    long createdNanos,
    long finishedNanos,
    Outcome outcome,
    List<Step> steps,
    IntentUsage usage,
    String traceId,
    IntentUsage sessionUsage)
    implements CborSerializable {

  /** Without the session's totals. */
  public IntentView(String id, String sessionId, IntentStatus status, String text, JsonNode metadata, long createdNanos,
      long finishedNanos, Outcome outcome, List<Step> steps, IntentUsage usage, String traceId) {
    this(id, sessionId, status, text, metadata, createdNanos, finishedNanos, outcome, steps, usage, traceId, null);
  }
}
