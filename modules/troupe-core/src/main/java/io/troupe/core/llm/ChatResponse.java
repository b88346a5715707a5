package io.troupe.core.llm;

import io.troupe.core.CborSerializable;

/** One completed assistant turn: text and/or tool calls, with usage and finish reason. */
public record ChatResponse(
    ChatMessage message, Usage usage, FinishReason finishReason, String model, String provider)
    implements CborSerializable {

  public boolean hasToolCalls() {
    return !message.toolCalls().isEmpty();
  }
}
