package io.troupe.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.llm.LlmException;
import io.troupe.llm.http.ToolArguments;
import java.util.ArrayList;
import java.util.List;

/**
 * The Messages API wire format. System messages become the top-level {@code system}; tool calls
 * go out as assistant {@code tool_use} blocks and their results as user {@code tool_result}
 * blocks; consecutive messages of one role are merged, since the API wants them alternating.
 */
final class AnthropicWire {
  private AnthropicWire() {}

  static ObjectNode requestBody(ChatRequest request, String model, AnthropicSettings settings) {
    ObjectNode body = Json.object();
    body.put("model", model);
    body.put("max_tokens", request.maxOutputTokens() > 0 ? request.maxOutputTokens() : settings.common().maxTokens());
    StringBuilder system = new StringBuilder();
    ArrayNode messages = Json.array();
    String lastRole = null;
    ArrayNode lastContent = null;
    for (ChatMessage m : request.messages()) {
      if (m.role() == ChatMessage.Role.SYSTEM) {
        if (!m.content().isBlank()) {
          system.append(system.isEmpty() ? "" : "\n\n").append(m.content());
        }
        continue;
      }
      String role = m.role() == ChatMessage.Role.ASSISTANT ? "assistant" : "user";
      ArrayNode blocks = Json.array();
      addBlocks(m, blocks);
      if (blocks.isEmpty()) {
        continue;
      }
      if (role.equals(lastRole)) {
        lastContent.addAll(blocks);
      } else {
        ObjectNode out = messages.addObject().put("role", role);
        out.set("content", blocks);
        lastRole = role;
        lastContent = blocks;
      }
    }
    if (!system.isEmpty()) {
      body.put("system", system.toString());
    }
    body.set("messages", messages);
    if (!request.tools().isEmpty() || request.output() != null) {
      ArrayNode tools = body.putArray("tools");
      for (ToolSpec t : request.tools()) {
        ObjectNode tool = tools.addObject().put("name", t.name());
        if (t.description() != null && !t.description().isEmpty()) {
          tool.put("description", t.description());
        }
        tool.set("input_schema", t.parameters() != null && t.parameters().isObject() ? t.parameters() : emptySchema());
      }
      if (request.output() != null) {
        // Structured output by forced tool use: the answer is the input of a call to final_answer. With
        // other tools offered the model must call a tool (any), so it can still use them first.
        ObjectNode answer = tools.addObject().put("name", ChatRequest.FINAL_ANSWER_TOOL)
            .put("description", "Give your final answer. Its input is the answer, in the required JSON shape.");
        answer.set("input_schema", request.output().schema());
        ObjectNode choice = body.putObject("tool_choice");
        if (request.tools().isEmpty()) {
          choice.put("type", "tool").put("name", ChatRequest.FINAL_ANSWER_TOOL);
        } else {
          choice.put("type", "any");
        }
      }
    }
    if (request.temperature() != null) {
      body.put("temperature", request.temperature());
    }
    if (request.stream()) {
      body.put("stream", true);
    }
    return body;
  }

  private static void addBlocks(ChatMessage m, ArrayNode blocks) {
    switch (m.role()) {
      case USER -> text(m.content(), blocks);
      case TOOL -> blocks.addObject()
          .put("type", "tool_result")
          .put("tool_use_id", m.toolCallId())
          .put("content", m.content());
      case ASSISTANT -> {
        text(m.content(), blocks);
        for (ToolCall c : m.toolCalls()) {
          ObjectNode use = blocks.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name());
          use.set("input", inputObject(c.arguments()));
        }
      }
      default -> { }
    }
  }

  /** The API rejects empty text blocks. */
  private static void text(String text, ArrayNode blocks) {
    if (!text.isEmpty()) {
      blocks.addObject().put("type", "text").put("text", text);
    }
  }

  /** {@code input} must be an object; arguments that are not one (a model's broken JSON) go as {}. */
  private static JsonNode inputObject(JsonNode arguments) {
    if (arguments != null && arguments.isObject()) {
      return arguments;
    }
    if (arguments != null && arguments.isTextual()) {
      JsonNode parsed = ToolArguments.parse(arguments.asText());
      if (parsed.isObject()) {
        return parsed;
      }
    }
    return Json.object();
  }

  private static ObjectNode emptySchema() {
    ObjectNode schema = Json.object().put("type", "object");
    schema.putObject("properties");
    return schema;
  }

  /**
   * A turn of a request with an output schema: a call to {@code final_answer} is the answer, its input
   * as JSON text (any other call of the same turn is dropped: the model has answered).
   */
  static ChatResponse structured(ChatResponse response) {
    for (ToolCall c : response.message().toolCalls()) {
      if (c.name().equals(ChatRequest.FINAL_ANSWER_TOOL)) {
        String answer = c.arguments() == null ? "{}" : Json.write(c.arguments());
        return new ChatResponse(ChatMessage.assistant(answer), response.usage(), FinishReason.STOP, response.model(),
            response.provider());
      }
    }
    return response;
  }

  static ChatResponse parseResponse(String text, String provider, String requestedModel) throws Exception {
    JsonNode root = Json.MAPPER.readTree(text);
    if (root == null || !root.isObject() || !root.path("content").isArray()) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, provider + " sent a response without content");
    }
    StringBuilder out = new StringBuilder();
    List<ToolCall> calls = new ArrayList<>();
    for (JsonNode block : root.get("content")) {
      switch (block.path("type").asText("")) {
        case "text" -> out.append(block.path("text").asText(""));
        case "tool_use" -> calls.add(new ToolCall(block.path("id").asText("toolu_" + calls.size()),
            block.path("name").asText(""), block.path("input").isObject() ? block.get("input") : Json.object()));
        default -> { } // thinking, server tool blocks and future types are not part of the turn
      }
    }
    ChatMessage message = calls.isEmpty() ? ChatMessage.assistant(out.toString()) : ChatMessage.assistantToolCalls(out.toString(), calls);
    return new ChatResponse(message, usage(root.path("usage"), 0), stopReason(root.path("stop_reason").asText(null), !calls.isEmpty()),
        root.path("model").asText(requestedModel), provider);
  }

  /** Input counts cached tokens too; {@code knownInput} comes from message_start when streaming. */
  static Usage usage(JsonNode usage, long knownInput) {
    long input = usage.path("input_tokens").asLong(0)
        + usage.path("cache_creation_input_tokens").asLong(0)
        + usage.path("cache_read_input_tokens").asLong(0);
    return new Usage(Math.max(input, knownInput), usage.path("output_tokens").asLong(0));
  }

  static FinishReason stopReason(String reason, boolean hasToolCalls) {
    if (reason == null) {
      return hasToolCalls ? FinishReason.TOOL_CALLS : FinishReason.OTHER;
    }
    return switch (reason) {
      case "end_turn", "stop_sequence" -> hasToolCalls ? FinishReason.TOOL_CALLS : FinishReason.STOP;
      case "tool_use" -> FinishReason.TOOL_CALLS;
      case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
      case "refusal" -> FinishReason.CONTENT_FILTER;
      default -> hasToolCalls ? FinishReason.TOOL_CALLS : FinishReason.OTHER;
    };
  }
}
