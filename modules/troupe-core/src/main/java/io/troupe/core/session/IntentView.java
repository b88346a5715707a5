package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import java.util.List;

/**
 * The intent resource of the HTTP contract (DESIGN.md §4), as the session entity knows it;
 * {@code sessionUsage} sums the usage of every intent of its session so far. {@code agent} names the
 * agent that runs it; null for {@code default} (and in views stored before named agents).
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
    IntentUsage sessionUsage,
    String agent)
    implements CborSerializable {

  public IntentView(String id, String sessionId, IntentStatus status, String text, JsonNode metadata, long createdNanos,
      long finishedNanos, Outcome outcome, List<Step> steps, IntentUsage usage, String traceId,
      IntentUsage sessionUsage) {
    this(id, sessionId, status, text, metadata, createdNanos, finishedNanos, outcome, steps, usage, traceId,
        sessionUsage, null);
  }

  /** The agent that runs it: {@code default} when none is named. */
  public String agentOrDefault() {
    return agent == null || agent.isEmpty() ? io.troupe.core.agent.AgentSpec.DEFAULT : agent;
  }

  /** Without the session's totals. */
  public IntentView(String id, String sessionId, IntentStatus status, String text, JsonNode metadata, long createdNanos,
      long finishedNanos, Outcome outcome, List<Step> steps, IntentUsage usage, String traceId) {
    this(id, sessionId, status, text, metadata, createdNanos, finishedNanos, outcome, steps, usage, traceId, null);
  }
}
