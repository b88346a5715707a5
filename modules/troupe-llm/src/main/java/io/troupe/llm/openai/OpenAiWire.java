package io.troupe.llm.openai;

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

/** The Chat Completions wire format: request bodies out, responses in. Unknown fields are ignored. */
final class OpenAiWire {
  private OpenAiWire() {}

  static ObjectNode requestBody(ChatRequest request, String model, OpenAiSettings settings) {
    ObjectNode body = Json.object();
    body.put("model", model);
    ArrayNode messages = body.putArray("messages");
    for (ChatMessage m : request.messages()) {
      messages.add(message(m));
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolSpec t : request.tools()) {
        ObjectNode fn = tools.addObject().put("type", "function").putObject("function");
        fn.put("name", t.name());
        if (t.description() != null) {
          fn.put("description", t.description());
        }
        fn.set("parameters", t.parameters() == null ? emptySchema() : t.parameters());
      }
    }
    int maxTokens = request.maxOutputTokens() > 0 ? request.maxOutputTokens() : settings.common().maxTokens();
    if (maxTokens > 0) {
      body.put(settings.maxTokensField(), maxTokens);
    }
    if (request.temperature() != null) {
      body.put("temperature", request.temperature());
    }
    if (request.output() != null) {
      // Structured outputs: the final message is JSON that follows the schema (tool calls stay possible).
      ObjectNode format = body.putObject("response_format").put("type", "json_schema");
      format.putObject("json_schema")
          .put("name", schemaName(request.output().name()))
          .put("strict", request.output().strict())
          .set("schema", request.output().schema());
    }
    if (request.stream()) {
      body.put("stream", true);
      if (settings.streamUsage()) {
        body.putObject("stream_options").put("include_usage", true);
      }
    }
    return body;
  }

  private static ObjectNode message(ChatMessage m) {
    ObjectNode out = Json.object();
    switch (m.role()) {
      case SYSTEM -> out.put("role", "system").put("content", m.content());
      case USER -> out.put("role", "user").put("content", m.content());
      case TOOL -> out.put("role", "tool").put("tool_call_id", m.toolCallId()).put("content", m.content());
      case ASSISTANT -> {
        out.put("role", "assistant");
        if (m.toolCalls().isEmpty()) {
          out.put("content", m.content());
        } else {
          if (m.content().isEmpty()) {
            out.putNull("content");
          } else {
            out.put("content", m.content());
          }
          ArrayNode calls = out.putArray("tool_calls");
          for (ToolCall c : m.toolCalls()) {
            ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
            call.putObject("function").put("name", c.name()).put("arguments", ToolArguments.text(c.arguments()));
          }
        }
      }
    }
    return out;
  }

  /** OpenAI wants {@code ^[a-zA-Z0-9_-]{1,64}$}: an agent's name is one; anything else becomes {@code output}. */
  static String schemaName(String name) {
    return name != null && name.matches("[a-zA-Z0-9_-]{1,64}") ? name : "output";
  }

  private static ObjectNode emptySchema() {
    ObjectNode schema = Json.object().put("type", "object");
    schema.putObject("properties");
    return schema;
  }

  static ChatResponse parseResponse(String text, String provider, String requestedModel) throws Exception {
    JsonNode root = Json.MAPPER.readTree(text);
    if (root == null || !root.isObject()) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, provider + " sent a response that is not a JSON object");
    }
    JsonNode choice = root.path("choices").path(0);
    if (!choice.isObject()) {
      throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, provider + " sent a response without choices");
    }
    JsonNode message = choice.path("message");
    String content = message.path("content").isTextual() ? message.path("content").asText() : "";
    List<ToolCall> calls = new ArrayList<>();
    for (JsonNode c : message.path("tool_calls")) {
      JsonNode fn = c.path("function");
      String id = c.path("id").asText("");
      calls.add(new ToolCall(id.isEmpty() ? "call_" + calls.size() : id, fn.path("name").asText(""),
          ToolArguments.parse(fn.path("arguments").isTextual() ? fn.path("arguments").asText() : fn.path("arguments").toString())));
    }
    FinishReason finish = finishReason(choice.path("finish_reason").asText(null), !calls.isEmpty());
    ChatMessage reply = calls.isEmpty() ? ChatMessage.assistant(content) : ChatMessage.assistantToolCalls(content, calls);
    return new ChatResponse(reply, usage(root.path("usage")), finish, root.path("model").asText(requestedModel), provider);
  }

  static Usage usage(JsonNode usage) {
    return new Usage(usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0));
  }

  /** Some compatible servers answer tool calls with {@code stop}: tool calls win. */
  static FinishReason finishReason(String reason, boolean hasToolCalls) {
    if (hasToolCalls) {
      return FinishReason.TOOL_CALLS;
    }
    if (reason == null) {
      return FinishReason.OTHER;
    }
    return switch (reason) {
      case "stop" -> FinishReason.STOP;
      case "tool_calls", "function_call" -> FinishReason.TOOL_CALLS;
      case "length" -> FinishReason.LENGTH;
      case "content_filter" -> FinishReason.CONTENT_FILTER;
      default -> FinishReason.OTHER;
    };
  }
}
