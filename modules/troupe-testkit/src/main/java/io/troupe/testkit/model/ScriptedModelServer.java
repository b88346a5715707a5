package io.troupe.testkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link ScriptedModel} served over HTTP as an OpenAI-compatible chat-completions endpoint
 * ({@code POST /v1/chat/completions}) and an Anthropic-compatible messages endpoint ({@code POST
 * /v1/messages}), plain or streamed as server-sent events, so that the real provider code can be
 * tested end to end. It runs on real time, on its own threads (the JDK's
 * HTTP server), never on an actor dispatcher: a reply's latency is ignored; {@link Reply#hang()}
 * holds the request open until the server stops. Faults map to HTTP: rate limits to 429 with a
 * {@code Retry-After} header, overload to 529 on the Anthropic side, other failures to 500
 * (timeouts to 504), a cut stream to a stream that ends without its last event.
 */
public final class ScriptedModelServer implements AutoCloseable {

  private final ScriptedModel model;
  private final HttpServer server;
  private final ExecutorService threads;
  private final List<HttpExchange> held = new ArrayList<>();

  private ScriptedModelServer(ScriptedModel model) throws IOException {
    this.model = model;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "scripted-model-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/v1/chat/completions", this::handle);
    server.createContext("/v1/messages", this::handleAnthropic);
  }

  /** Starts serving {@code model} on a free port of 127.0.0.1. */
  public static ScriptedModelServer start(ScriptedModel model) {
    try {
      ScriptedModelServer s = new ScriptedModelServer(model);
      s.server.start();
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the scripted model server", e);
    }
  }

  /** The base URL to give an OpenAI-compatible provider, e.g. {@code http://127.0.0.1:41234/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** The base URL to give an Anthropic provider (without {@code /v1}), e.g. {@code http://127.0.0.1:41234}. */
  public String anthropicBaseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    synchronized (held) {
      held.forEach(HttpExchange::close);
      held.clear();
    }
    threads.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    if (!"POST".equals(ex.getRequestMethod())) {
      send(ex, 405, error("only POST"));
      return;
    }
    JsonNode body;
    ChatRequest request;
    try {
      body = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      request = toRequest(body);
    } catch (RuntimeException e) {
      send(ex, 400, error("malformed request: " + e.getMessage()));
      return;
    }
    Reply reply = model.answer(request);
    if (reply.noAnswer()) {
      synchronized (held) {
        held.add(ex);
      }
      return;
    }
    if (reply.failure() != null && reply.deltas().isEmpty()) {
      LlmFailure f = reply.failure();
      if (f.code() == LlmFailure.Code.RATE_LIMITED) {
        ex.getResponseHeaders().add("Retry-After", retryAfter(f.message()));
        send(ex, 429, error(f.message()));
      } else {
        send(ex, f.code() == LlmFailure.Code.TIMEOUT ? 504 : 500, error(f.message()));
      }
      return;
    }
    if (request.stream()) {
      stream(ex, reply);
    } else {
      send(ex, 200, completion(reply));
    }
  }

  private void handleAnthropic(HttpExchange ex) throws IOException {
    if (!"POST".equals(ex.getRequestMethod())) {
      send(ex, 405, anthropicError("only POST"));
      return;
    }
    ChatRequest request;
    try {
      request = toAnthropicRequest(Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      send(ex, 400, anthropicError("malformed request: " + e.getMessage()));
      return;
    }
    Reply reply = model.answer(request);
    if (reply.noAnswer()) {
      synchronized (held) {
        held.add(ex);
      }
      return;
    }
    if (reply.failure() != null && reply.deltas().isEmpty()) {
      LlmFailure f = reply.failure();
      if (f.code() == LlmFailure.Code.RATE_LIMITED) {
        ex.getResponseHeaders().add("retry-after", retryAfter(f.message()));
        send(ex, 429, anthropicError(f.message()));
      } else {
        int status = switch (f.code()) {
          case OVERLOADED -> 529;
          case TIMEOUT -> 504;
          default -> 500;
        };
        send(ex, status, anthropicError(f.message()));
      }
      return;
    }
    if (request.stream()) {
      anthropicStream(ex, reply);
    } else {
      send(ex, 200, anthropicMessage(reply));
    }
  }

  private static ChatRequest toAnthropicRequest(JsonNode body) {
    List<ChatMessage> messages = new ArrayList<>();
    JsonNode system = body.path("system");
    if (system.isTextual()) {
      messages.add(ChatMessage.system(system.asText()));
    } else if (system.isArray()) {
      StringBuilder sb = new StringBuilder();
      system.forEach(b -> sb.append(b.path("text").asText()));
      messages.add(ChatMessage.system(sb.toString()));
    }
    for (JsonNode m : body.path("messages")) {
      String role = m.path("role").asText();
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        messages.add(role.equals("assistant") ? ChatMessage.assistant(content.asText()) : ChatMessage.user(content.asText()));
        continue;
      }
      StringBuilder text = new StringBuilder();
      List<ToolCall> calls = new ArrayList<>();
      for (JsonNode block : content) {
        switch (block.path("type").asText()) {
          case "text" -> text.append(block.path("text").asText());
          case "tool_use" -> calls.add(new ToolCall(block.path("id").asText(), block.path("name").asText(), block.path("input")));
          case "tool_result" -> {
            JsonNode c = block.path("content");
            String result = c.isTextual() ? c.asText() : c.isArray() && c.size() > 0 ? c.get(0).path("text").asText() : "";
            messages.add(ChatMessage.toolResult(block.path("tool_use_id").asText(), null, result));
          }
          default -> { }
        }
      }
      if (role.equals("assistant")) {
        messages.add(ChatMessage.assistantToolCalls(text.toString(), calls));
      } else if (text.length() > 0) {
        messages.add(ChatMessage.user(text.toString()));
      }
    }
    List<ToolSpec> tools = new ArrayList<>();
    for (JsonNode t : body.path("tools")) {
      tools.add(new ToolSpec(t.path("name").asText(), t.path("description").asText(""), t.path("input_schema")));
    }
    return new ChatRequest(body.path("model").asText(null), messages, tools, body.path("max_tokens").asInt(0),
        body.path("stream").asBoolean(false));
  }

  private static ObjectNode anthropicMessage(Reply reply) {
    ObjectNode out = Json.object().put("id", "msg_scripted").put("type", "message").put("role", "assistant")
        .put("model", reply.response().model());
    ArrayNode content = out.putArray("content");
    ChatMessage m = reply.response().message();
    if (!m.content().isEmpty()) {
      content.addObject().put("type", "text").put("text", m.content());
    }
    for (ToolCall c : m.toolCalls()) {
      content.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name()).set("input", c.arguments());
    }
    out.put("stop_reason", m.toolCalls().isEmpty() ? "end_turn" : "tool_use");
    out.putObject("usage").put("input_tokens", reply.response().usage().inputTokens())
        .put("output_tokens", reply.response().usage().outputTokens());
    return out;
  }

  private void anthropicStream(HttpExchange ex, Reply reply) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      ObjectNode start = Json.object().put("type", "message_start");
      start.putObject("message").put("id", "msg_scripted").put("type", "message").put("role", "assistant")
          .put("model", reply.response() == null ? "scripted" : reply.response().model())
          .putArray("content");
      ((ObjectNode) start.path("message")).putObject("usage").put("input_tokens",
          reply.response() == null ? 0 : reply.response().usage().inputTokens()).put("output_tokens", 0);
      event(out, "message_start", start);
      List<String> deltas = reply.deltas();
      if (deltas.isEmpty() && reply.response() != null && !reply.response().message().content().isEmpty()) {
        deltas = List.of(reply.response().message().content());
      }
      int index = 0;
      if (!deltas.isEmpty()) {
        ObjectNode blockStart = Json.object().put("type", "content_block_start").put("index", index);
        blockStart.putObject("content_block").put("type", "text").put("text", "");
        event(out, "content_block_start", blockStart);
        for (String d : deltas) {
          ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", index);
          delta.putObject("delta").put("type", "text_delta").put("text", d);
          event(out, "content_block_delta", delta);
        }
        if (reply.response() == null) {
          return; // a cut stream: the block never closes, the message never stops
        }
        event(out, "content_block_stop", Json.object().put("type", "content_block_stop").put("index", index));
        index++;
      }
      if (reply.response() == null) {
        return;
      }
      for (ToolCall c : reply.response().message().toolCalls()) {
        ObjectNode blockStart = Json.object().put("type", "content_block_start").put("index", index);
        blockStart.putObject("content_block").put("type", "tool_use").put("id", c.id()).put("name", c.name())
            .putObject("input");
        event(out, "content_block_start", blockStart);
        ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", index);
        delta.putObject("delta").put("type", "input_json_delta").put("partial_json", c.arguments().toString());
        event(out, "content_block_delta", delta);
        event(out, "content_block_stop", Json.object().put("type", "content_block_stop").put("index", index));
        index++;
      }
      ObjectNode end = Json.object().put("type", "message_delta");
      end.putObject("delta").put("stop_reason", reply.response().hasToolCalls() ? "tool_use" : "end_turn");
      end.putObject("usage").put("output_tokens", reply.response().usage().outputTokens());
      event(out, "message_delta", end);
      event(out, "message_stop", Json.object().put("type", "message_stop"));
    }
  }

  private static void event(OutputStream out, String name, JsonNode data) throws IOException {
    out.write(("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static ObjectNode anthropicError(String message) {
    ObjectNode out = Json.object().put("type", "error");
    out.putObject("error").put("type", "scripted_error").put("message", message);
    return out;
  }

  private static String retryAfter(String message) {
    int i = message.indexOf("Retry-After: ");
    if (i < 0) {
      return "1";
    }
    String rest = message.substring(i + "Retry-After: ".length());
    return rest.replaceAll("[^0-9].*$", "");
  }

  private static ChatRequest toRequest(JsonNode body) {
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : body.path("messages")) {
      String role = m.path("role").asText();
      String content = m.path("content").isTextual() ? m.path("content").asText() : "";
      switch (role) {
        case "system", "developer" -> messages.add(ChatMessage.system(content));
        case "user" -> messages.add(ChatMessage.user(content));
        case "tool" -> messages.add(ChatMessage.toolResult(m.path("tool_call_id").asText(), m.path("name").asText(null),
            content));
        case "assistant" -> {
          List<ToolCall> calls = new ArrayList<>();
          for (JsonNode c : m.path("tool_calls")) {
            calls.add(new ToolCall(c.path("id").asText(), c.path("function").path("name").asText(),
                Json.parse(c.path("function").path("arguments").asText("{}"))));
          }
          messages.add(ChatMessage.assistantToolCalls(content, calls));
        }
        default -> throw new IllegalArgumentException("unknown role " + role);
      }
    }
    List<ToolSpec> tools = new ArrayList<>();
    for (JsonNode t : body.path("tools")) {
      JsonNode f = t.path("function");
      tools.add(new ToolSpec(f.path("name").asText(), f.path("description").asText(""), f.path("parameters")));
    }
    return new ChatRequest(body.path("model").asText(null), messages, tools, body.path("max_tokens").asInt(0),
        body.path("stream").asBoolean(false));
  }

  private static ArrayNode toolCalls(ChatMessage message, boolean withIndex) {
    ArrayNode calls = Json.array();
    int i = 0;
    for (ToolCall c : message.toolCalls()) {
      ObjectNode call = calls.addObject();
      if (withIndex) {
        call.put("index", i);
      }
      call.put("id", c.id()).put("type", "function");
      call.putObject("function").put("name", c.name()).put("arguments", c.arguments().toString());
      i++;
    }
    return calls;
  }

  private static String finish(Reply reply) {
    return reply.response().hasToolCalls() ? "tool_calls" : "stop";
  }

  private static ObjectNode completion(Reply reply) {
    ObjectNode out = Json.object().put("id", "chatcmpl-scripted").put("object", "chat.completion")
        .put("model", reply.response().model());
    ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    ChatMessage m = reply.response().message();
    if (!m.toolCalls().isEmpty() && m.content().isEmpty()) {
      message.putNull("content");
    } else {
      message.put("content", m.content());
    }
    if (!m.toolCalls().isEmpty()) {
      message.set("tool_calls", toolCalls(m, false));
    }
    choice.put("finish_reason", finish(reply));
    out.putObject("usage").put("prompt_tokens", reply.response().usage().inputTokens())
        .put("completion_tokens", reply.response().usage().outputTokens())
        .put("total_tokens", reply.response().usage().totalTokens());
    return out;
  }

  private void stream(HttpExchange ex, Reply reply) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      List<String> deltas = reply.deltas();
      if (deltas.isEmpty() && reply.response() != null && !reply.response().message().content().isEmpty()) {
        deltas = List.of(reply.response().message().content());
      }
      for (String d : deltas) {
        chunk(out, Json.object().put("content", d), null);
      }
      if (reply.response() == null) {
        return; // a cut stream: no finish reason, no [DONE]
      }
      ChatMessage m = reply.response().message();
      if (!m.toolCalls().isEmpty()) {
        ObjectNode delta = Json.object();
        delta.set("tool_calls", toolCalls(m, true));
        chunk(out, delta, null);
      }
      chunk(out, Json.object(), finish(reply));
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void chunk(OutputStream out, ObjectNode delta, String finishReason) throws IOException {
    ObjectNode chunk = Json.object().put("id", "chatcmpl-scripted").put("object", "chat.completion.chunk");
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    if (finishReason != null) {
      choice.put("finish_reason", finishReason);
    } else {
      choice.putNull("finish_reason");
    }
    out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static ObjectNode error(String message) {
    ObjectNode out = Json.object();
    out.putObject("error").put("message", message).put("type", "scripted");
    return out;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
