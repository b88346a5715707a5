package io.troupe.core.session;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.Usage;

/** What one intent used. */
public record IntentUsage(long inputTokens, long outputTokens, int modelCalls, int toolCalls)
    implements CborSerializable {
  public static final IntentUsage NONE = new IntentUsage(0, 0, 0, 0);

  public long totalTokens() {
    return inputTokens + outputTokens;
  }

  public IntentUsage plusModelCall(Usage usage) {
    Usage u = usage == null ? Usage.ZERO : usage;
    return new IntentUsage(inputTokens + u.inputTokens(), outputTokens + u.outputTokens(), modelCalls + 1, toolCalls);
  }

  public IntentUsage plusToolCall() {
    return new IntentUsage(inputTokens, outputTokens, modelCalls, toolCalls + 1);
  }
}
