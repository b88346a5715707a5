package io.troupe.otel;

import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * Hands the SDK the ids Troupe already chose for the next span, so that an exported span keeps the
 * trace and span ids of the trace store (and of {@code /v1/intents/{id}/trace} and the logs). Used
 * only by the exporter's one thread: set with {@link #next} just before each {@code startSpan}.
 * Without a given id it falls back to random ids.
 */
final class GivenIds implements IdGenerator {
  private final IdGenerator random = IdGenerator.random();
  private String traceId;
  private String spanId;

  void next(String traceId, String spanId) {
    this.traceId = traceId;
    this.spanId = spanId;
  }

  @Override
  public String generateSpanId() {
    String id = spanId;
    spanId = null;
    return id != null ? id : random.generateSpanId();
  }

  @Override
  public String generateTraceId() {
    String id = traceId;
    traceId = null;
    return id != null ? id : random.generateTraceId();
  }

  @Override
  public boolean generatesRandomTraceIds() {
    return true; // Troupe's trace ids are random (io.troupe.core.trace.Ids), or a caller's
  }
}
