package io.troupe.core.llm;

import io.troupe.core.CborSerializable;

/** Token usage of one or more model calls. */
public record Usage(long inputTokens, long outputTokens) implements CborSerializable {
  public static final Usage ZERO = new Usage(0, 0);

  public long totalTokens() {
    return inputTokens + outputTokens;
  }

  public Usage plus(Usage other) {
    return other == null ? this : new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens);
  }
}
