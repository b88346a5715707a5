package io.troupe.core.tools;

import io.troupe.core.CborSerializable;

/**
 * Who is calling a tool: ids for tracing and tenancy, and the call's idempotency key. The key is
 * the same when a run resumes the call after a crash, so a tool can recognise a call it has seen.
 */
public record ToolContext(String intentId, String sessionId, String callId, String idempotencyKey)
    implements CborSerializable {

  public ToolContext(String intentId, String sessionId, String callId) {
    this(intentId, sessionId, callId, intentId + "/" + callId);
  }
}
