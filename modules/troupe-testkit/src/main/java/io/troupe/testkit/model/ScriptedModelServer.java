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
 * ({@code POST /v1/chat/completions}, plain or streamed as server-sent events), so that the real
 * provider code can be tested end to end. It runs on real time, on its own threads (the JDK's
 * HTTP server), never on an actor dispatcher: a reply's latency is ignored; {@link Reply#hang()}
 * holds the request open until the server stops. Faults map to HTTP: rate limits to 429 with a
 * {@code Retry-After} header, other failures to 500 (timeouts to 504), a cut stream to a stream
 * that ends without its last chunk.
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
