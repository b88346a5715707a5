package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.trace.TraceClock;

/**
 * One step of an intent's run, which is also one span of its trace.
 *
 * @param kind classify, plan, model, guardrail, tool, verify or answer
 * @param status ok, error, allow, deny, cancelled
 * @param startNanos epoch nanoseconds
 * @param endNanos epoch nanoseconds, 0 while the step runs
 */
public record Step(
    int seq,
    String kind,
    String name,
    String status,
    long startNanos,
    long endNanos,
    JsonNode detail,
    String spanId,
    String parentSpanId)
    implements CborSerializable {

  public Step withDetail(JsonNode newDetail) {
    return new Step(seq, kind, name, status, startNanos, endNanos, newDetail, spanId, parentSpanId);
  }

  public String startedAt() {
    return TraceClock.iso(startNanos);
  }

  public String finishedAt() {
    return TraceClock.iso(endNanos);
  }
}
