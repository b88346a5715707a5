package io.troupe.core.session;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.Usage;

/** What one intent used; {@code costUsd} sums the known costs of its model calls (0 when unpriced). */
public record IntentUsage(long inputTokens, long outputTokens, int modelCalls, int toolCalls, double costUsd)
    implements CborSerializable {
  public static final IntentUsage NONE = new IntentUsage(0, 0, 0, 0);

  /** Usage without a known cost. */
  public IntentUsage(long inputTokens, long outputTokens, int modelCalls, int toolCalls) {
    this(inputTokens, outputTokens, modelCalls, toolCalls, 0.0);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }

  public IntentUsage plusModelCall(Usage usage) {
    Usage u = usage == null ? Usage.ZERO : usage;
    return new IntentUsage(inputTokens + u.inputTokens(), outputTokens + u.outputTokens(), modelCalls + 1, toolCalls,
        costUsd + u.costUsd());
  }

  public IntentUsage plusToolCall() {
    return new IntentUsage(inputTokens, outputTokens, modelCalls, toolCalls + 1, costUsd);
  }

  /** What this usage adds to {@code earlier}. */
  public IntentUsage minus(IntentUsage earlier) {
    return earlier == null
        ? this
        : new IntentUsage(inputTokens - earlier.inputTokens, outputTokens - earlier.outputTokens,
            modelCalls - earlier.modelCalls, toolCalls - earlier.toolCalls, costUsd - earlier.costUsd);
  }

  /** The sum of two usages, e.g. over the intents of a session. */
  public IntentUsage plus(IntentUsage other) {
    return other == null
        ? this
        : new IntentUsage(inputTokens + other.inputTokens, outputTokens + other.outputTokens,
            modelCalls + other.modelCalls, toolCalls + other.toolCalls, costUsd + other.costUsd);
  }
}
