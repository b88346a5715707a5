package io.troupe.llm.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.Usage;
import io.troupe.llm.LlmException;
import io.troupe.llm.http.ProviderErrors;
import io.troupe.llm.http.RateLimitInfo;
import io.troupe.llm.http.SseEvent;
import io.troupe.llm.http.StreamHandler;
import io.troupe.llm.http.ToolArguments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Assembles a streamed Chat Completion: text deltas, tool calls whose arguments arrive in
 * fragments (keyed by their {@code index}), the finish reason, and the usage chunk. Ends at
 * {@code data: [DONE]}; a body that ends before it (and before any finish reason) is a failure.
 */
final class OpenAiStream implements StreamHandler<ChatResponse> {
  private static final class PartialCall {
    String id;
    String name;
    final StringBuilder arguments = new StringBuilder();
  }

  private final String provider;
  private final Consumer<ChatDelta> onDelta;
  private final ProviderErrors errors;
  private final StringBuilder text = new StringBuilder();
  private final Map<Integer, PartialCall> calls = new TreeMap<>();
  private String model;
  private String finishReason;
  private Usage usage = Usage.ZERO;
  private boolean done;
  private boolean delivered;

  OpenAiStream(String provider, String model, Consumer<ChatDelta> onDelta, ProviderErrors errors) {
    this.provider = provider;
    this.model = model;
    this.onDelta = onDelta;
    this.errors = errors;
  }

  @Override
  public void onEvent(SseEvent event) {
    String data = event.data().trim();
    if (data.isEmpty() || done) {
      return;
    }
    if (data.equals("[DONE]")) {
      done = true;
      return;
    }
    JsonNode chunk;
    try {
      chunk = Json.MAPPER.readTree(data);
    } catch (Exception e) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, provider + " sent a malformed JSON chunk in its stream",
          0, RateLimitInfo.NONE, delivered);
    }
    if (chunk == null || !chunk.isObject()) {
      return;
    }
    if (chunk.hasNonNull("error")) {
      throw errors.forStreamError(chunk.get("error"), delivered);
    }
    if (chunk.path("model").isTextual()) {
      model = chunk.get("model").asText();
    }
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) != 0) {
        continue;
      }
      JsonNode delta = choice.path("delta");
      JsonNode content = delta.path("content");
      if (content.isTextual() && !content.asText().isEmpty()) {
        text.append(content.asText());
        deliver(ChatDelta.text(content.asText()));
      }
      for (JsonNode tc : delta.path("tool_calls")) {
        toolCallFragment(tc);
      }
      if (choice.path("finish_reason").isTextual()) {
        finishReason = choice.get("finish_reason").asText();
      }
    }
    if (chunk.path("usage").isObject()) {
      usage = OpenAiWire.usage(chunk.get("usage"));
    }
  }

  private void toolCallFragment(JsonNode tc) {
    int index = tc.path("index").isInt() ? tc.get("index").asInt() : calls.size();
    PartialCall call = calls.computeIfAbsent(index, i -> new PartialCall());
    String newId = null;
    String newName = null;
    if (call.id == null && tc.path("id").isTextual() && !tc.get("id").asText().isEmpty()) {
      call.id = newId = tc.get("id").asText();
    }
    JsonNode fn = tc.path("function");
    if (call.name == null && fn.path("name").isTextual() && !fn.get("name").asText().isEmpty()) {
      call.name = newName = fn.get("name").asText();
    }
    String fragment = fn.path("arguments").isTextual() ? fn.get("arguments").asText() : "";
    call.arguments.append(fragment);
    if (newId != null || newName != null || !fragment.isEmpty()) {
      deliver(new ChatDelta(null, index, newId, newName, fragment));
    }
  }

  private void deliver(ChatDelta delta) {
    delivered = true;
    try {
      onDelta.accept(delta);
    } catch (RuntimeException ignored) {
      // the receiver's problem must not break the stream
    }
  }

  @Override
  public ChatResponse complete() {
    if (!done && finishReason == null) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, "the stream from " + provider + " ended before it was complete",
          0, RateLimitInfo.NONE, delivered);
    }
    List<ToolCall> toolCalls = new ArrayList<>(calls.size());
    for (Map.Entry<Integer, PartialCall> e : calls.entrySet()) {
      PartialCall c = e.getValue();
      toolCalls.add(new ToolCall(c.id == null ? "call_" + e.getKey() : c.id, c.name == null ? "" : c.name,
          ToolArguments.parse(c.arguments.toString())));
    }
    ChatMessage message = toolCalls.isEmpty()
        ? ChatMessage.assistant(text.toString())
        : ChatMessage.assistantToolCalls(text.toString(), toolCalls);
    return new ChatResponse(message, usage, OpenAiWire.finishReason(finishReason, !toolCalls.isEmpty()), model, provider);
  }

  @Override
  public boolean contentDelivered() {
    return delivered;
  }
}
