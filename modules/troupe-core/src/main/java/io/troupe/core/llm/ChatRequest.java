package io.troupe.core.llm;

import io.troupe.core.CborSerializable;
import java.util.List;

/**
 * A request for the next assistant turn.
 *
 * @param model the model name, or null for the provider's default
 * @param messages the conversation so far
 * @param tools the tools the model may call (may be empty)
 * @param maxOutputTokens an upper bound on output tokens, 0 for the provider's default
 * @param stream whether the provider should stream deltas
 */
public record ChatRequest(
    String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream)
    implements CborSerializable {

  public ChatRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
  }
}
