package io.troupe.llm.anthropic;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Assembles a streamed Message: {@code message_start}, content blocks (text deltas, tool_use
 * blocks whose input arrives as {@code input_json_delta} fragments), {@code message_delta} with
 * the stop reason and output tokens, and {@code message_stop}. An {@code error} event fails the
 * call with its type (e.g. {@code overloaded_error}); pings and unknown events are ignored.
 */
final class AnthropicStream implements StreamHandler<ChatResponse> {
  private static final class ToolBlock {
    final int ordinal;
    final String id;
    final String name;
    final JsonNode startInput;
    final StringBuilder json = new StringBuilder();

    ToolBlock(int ordinal, String id, String name, JsonNode startInput) {
      this.ordinal = ordinal;
      this.id = id;
      this.name = name;
      this.startInput = startInput;
    }
  }

  private final String provider;
  private final Consumer<ChatDelta> onDelta;
  private final ProviderErrors errors;
  private final StringBuilder text = new StringBuilder();
  private final Map<Integer, ToolBlock> toolsByBlock = new HashMap<>();
  private final List<ToolBlock> tools = new ArrayList<>();
  private String model;
  private String stopReason;
  private long inputTokens;
  private Usage usage = Usage.ZERO;
  private boolean started;
  private boolean stopped;
  private boolean delivered;

  AnthropicStream(String provider, String model, Consumer<ChatDelta> onDelta, ProviderErrors errors) {
    this.provider = provider;
    this.model = model;
    this.onDelta = onDelta;
    this.errors = errors;
  }

  @Override
  public void onEvent(SseEvent event) {
    if (stopped || event.data().isBlank()) {
      return;
    }
    JsonNode data;
    try {
      data = Json.MAPPER.readTree(event.data());
    } catch (Exception e) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, provider + " sent a malformed JSON event in its stream",
          0, RateLimitInfo.NONE, delivered);
    }
    if (data == null || !data.isObject()) {
      return;
    }
    String type = data.path("type").asText(event.event());
    switch (type) {
      case "message_start" -> {
        started = true;
        JsonNode message = data.path("message");
        model = message.path("model").asText(model);
        usage = AnthropicWire.usage(message.path("usage"), 0);
        inputTokens = usage.inputTokens();
      }
      case "content_block_start" -> blockStart(data.path("index").asInt(-1), data.path("content_block"));
      case "content_block_delta" -> blockDelta(data.path("index").asInt(-1), data.path("delta"));
      case "message_delta" -> {
        if (data.path("delta").path("stop_reason").isTextual()) {
          stopReason = data.path("delta").get("stop_reason").asText();
        }
        if (data.path("usage").isObject()) {
          usage = AnthropicWire.usage(data.get("usage"), inputTokens);
        }
      }
      case "message_stop" -> stopped = true;
      case "error" -> throw errors.forStreamError(data.path("error"), delivered);
      default -> { } // ping, content_block_stop and future events
    }
  }

  private void blockStart(int index, JsonNode block) {
    switch (block.path("type").asText("")) {
      case "text" -> {
        String t = block.path("text").asText("");
        if (!t.isEmpty()) {
          text.append(t);
          deliver(ChatDelta.text(t));
        }
      }
      case "tool_use" -> {
        ToolBlock tool = new ToolBlock(tools.size(), block.path("id").asText("toolu_" + tools.size()),
            block.path("name").asText(""), block.path("input"));
        tools.add(tool);
        toolsByBlock.put(index, tool);
        deliver(new ChatDelta(null, tool.ordinal, tool.id, tool.name, ""));
      }
      default -> { } // thinking and other blocks are not part of the turn
    }
  }

  private void blockDelta(int index, JsonNode delta) {
    switch (delta.path("type").asText("")) {
      case "text_delta" -> {
        String t = delta.path("text").asText("");
        if (!t.isEmpty()) {
          text.append(t);
          deliver(ChatDelta.text(t));
        }
      }
      case "input_json_delta" -> {
        ToolBlock tool = toolsByBlock.get(index);
        String fragment = delta.path("partial_json").asText("");
        if (tool != null && !fragment.isEmpty()) {
          tool.json.append(fragment);
          deliver(new ChatDelta(null, tool.ordinal, null, null, fragment));
        }
      }
      default -> { }
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
    if (!stopped) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR,
          "the stream from " + provider + (started ? " ended before message_stop" : " ended before it started"),
          0, RateLimitInfo.NONE, delivered);
    }
    List<ToolCall> calls = new ArrayList<>(tools.size());
    for (ToolBlock t : tools) {
      JsonNode input = t.json.isEmpty()
          ? (t.startInput.isObject() ? t.startInput : Json.object())
          : ToolArguments.parse(t.json.toString());
      calls.add(new ToolCall(t.id, t.name, input));
    }
    ChatMessage message = calls.isEmpty() ? ChatMessage.assistant(text.toString()) : ChatMessage.assistantToolCalls(text.toString(), calls);
    return new ChatResponse(message, usage, AnthropicWire.stopReason(stopReason, !calls.isEmpty()), model, provider);
  }

  @Override
  public boolean contentDelivered() {
    return delivered;
  }
}
