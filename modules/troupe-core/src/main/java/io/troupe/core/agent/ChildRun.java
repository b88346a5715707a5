package io.troupe.core.agent;

import io.troupe.core.CborSerializable;

/**
 * An agent called as a tool runs as a child intent: of {@code agent}, in the trace of the parent's
 * tool-call span ({@code traceParent}, a W3C header), at {@code depth} (the parent's plus one), with
 * at most {@code maxSteps} model calls (what the parent has left).
 */
public record ChildRun(String agent, String traceParent, int depth, int maxSteps) implements CborSerializable {}
