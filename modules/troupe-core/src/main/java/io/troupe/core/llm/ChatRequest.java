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
 * @param traceparent W3C trace context of the model call's span, sent on to an HTTP provider; null for none
 */
public record ChatRequest(
    String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream,
    String traceparent)
    implements CborSerializable {

  public ChatRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  /** Without trace context. */
  public ChatRequest(String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream) {
    this(model, messages, tools, maxOutputTokens, stream, null);
  }
}
