package io.troupe.core.llm;

import io.troupe.core.CborSerializable;

/**
 * A streaming fragment of an assistant turn. Text fragments carry {@code text}; tool call
 * fragments carry the call's index, and its id and name when first seen, and a piece of the
 * argument JSON.
 */
public record ChatDelta(String text, Integer toolCallIndex, String toolCallId, String toolName, String argumentsFragment)
    implements CborSerializable {

  public static ChatDelta text(String text) {
    return new ChatDelta(text, null, null, null, null);
  }
}
