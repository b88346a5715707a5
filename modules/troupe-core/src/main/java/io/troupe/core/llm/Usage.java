package io.troupe.core.llm;

import io.troupe.core.CborSerializable;

/**
 * Token usage of one or more model calls, with their cost in US dollars when the gateway knows the
 * model's price (0 otherwise).
 */
public record Usage(long inputTokens, long outputTokens, double costUsd) implements CborSerializable {
  public static final Usage ZERO = new Usage(0, 0);

  /** Usage without a known cost. */
  public Usage(long inputTokens, long outputTokens) {
    this(inputTokens, outputTokens, 0.0);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }

  public Usage plus(Usage other) {
    return other == null
        ? this
        : new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens, costUsd + other.costUsd);
  }

  public Usage withCost(double costUsd) {
    return new Usage(inputTokens, outputTokens, costUsd);
  }
}
