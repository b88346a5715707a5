package io.troupe.core.tools;

import io.troupe.core.CborSerializable;

/** Who is calling a tool: ids for tracing, idempotency and, later, tenancy. */
public record ToolContext(String intentId, String sessionId, String callId) implements CborSerializable {}
