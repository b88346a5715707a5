package io.troupe.core.llm;

import com.fasterxml.jackson.databind.JsonNode;
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
 * @param provider the gateway's provider to call, or null for its primary (and its fallback chain)
 * @param temperature the sampling temperature, or null for the provider's default
 * @param output the JSON Schema the final answer must follow, or null for a text answer
 */
public record ChatRequest(
    String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream,
    String traceparent, String provider, Double temperature, OutputFormat output)
    implements CborSerializable {

  /**
   * A structured answer: the providers ask for it natively (OpenAI {@code response_format} with
   * {@code json_schema}, Anthropic a forced tool). {@code strict}: OpenAI's strict mode, for schemas it accepts.
   */
  public record OutputFormat(String name, JsonNode schema, boolean strict) implements CborSerializable {}

  /** The name of the tool Anthropic is made to call with the structured answer as its input. */
  public static final String FINAL_ANSWER_TOOL = "final_answer";

  public ChatRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
    provider = provider == null || provider.isBlank() ? null : provider;
  }

  /** Without an agent's provider, temperature or output schema. */
  public ChatRequest(String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream,
      String traceparent) {
    this(model, messages, tools, maxOutputTokens, stream, traceparent, null, null, null);
  }

  /** Without trace context. */
  public ChatRequest(String model, List<ChatMessage> messages, List<ToolSpec> tools, int maxOutputTokens, boolean stream) {
    this(model, messages, tools, maxOutputTokens, stream, null);
  }

  /** The same request with another model and streaming flag. */
  public ChatRequest with(String model, boolean stream) {
    return new ChatRequest(model, messages, tools, maxOutputTokens, stream, traceparent, provider, temperature, output);
  }
}
