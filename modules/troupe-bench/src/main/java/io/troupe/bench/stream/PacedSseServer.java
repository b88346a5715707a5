package io.troupe.bench.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.troupe.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fake OpenAI chat endpoint that streams one fixed answer at a steady pace, as a model does: the
 * first chunk after {@code firstMs}, then {@code chunkChars} characters every {@code intervalMs}.
 * It notes when it flushed each request's first chunk, by the request's last user message, so that
 * a client can tell what the path between the provider and itself added. Bench code: a thread per
 * request, which sleeps between chunks.
 */
final class PacedSseServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final long firstMs;
  private final long intervalMs;
  private final int chunkChars;
  private final String answer;
  private final Map<String, Long> firstChunkNanos = new ConcurrentHashMap<>();

  private PacedSseServer(long firstMs, long intervalMs, int chunkChars, String answer) throws IOException {
    this.firstMs = firstMs;
    this.intervalMs = intervalMs;
    this.chunkChars = chunkChars;
    this.answer = answer;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
    server.createContext("/v1/chat/completions", this::chat);
    server.setExecutor(threads);
    server.start();
  }

  static PacedSseServer start(long firstMs, long intervalMs, int chunkChars, String answer) throws IOException {
    return new PacedSseServer(firstMs, intervalMs, chunkChars, answer);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** When the first chunk for the request whose last user message was {@code text} was flushed. */
  Long firstChunkNanos(String text) {
    return firstChunkNanos.get(text);
  }

  private void chat(HttpExchange ex) throws IOException {
    try (ex) {
      JsonNode body = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String asked = "";
      for (JsonNode m : body.path("messages")) {
        if (m.path("role").asText().equals("user")) asked = m.path("content").asText();
      }
      if (!body.path("stream").asBoolean(false)) {
        byte[] out = completion().toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, out.length);
        ex.getResponseBody().write(out);
        return;
      }
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      pause(firstMs);
      for (int at = 0; at < answer.length(); at += chunkChars) {
        String piece = answer.substring(at, Math.min(answer.length(), at + chunkChars));
        send(out, chunk(Json.object().put("content", piece), null));
        if (at == 0) firstChunkNanos.put(asked, System.nanoTime());
        pause(intervalMs);
      }
      ObjectNode last = chunk(Json.object(), "stop");
      last.putObject("usage").put("prompt_tokens", 20).put("completion_tokens", answer.length() / 4)
          .put("total_tokens", 20 + answer.length() / 4);
      send(out, last);
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      // The client went away (a cancelled call): nothing to do.
    }
  }

  private static void send(OutputStream out, JsonNode chunk) throws IOException {
    out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static ObjectNode chunk(ObjectNode delta, String finish) {
    ObjectNode c = Json.object().put("id", "chatcmpl-paced").put("object", "chat.completion.chunk")
        .put("created", 0).put("model", "paced");
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    if (finish == null) choice.putNull("finish_reason");
    else choice.put("finish_reason", finish);
    return c;
  }

  private ObjectNode completion() {
    ObjectNode c = Json.object().put("id", "chatcmpl-paced").put("object", "chat.completion").put("created", 0)
        .put("model", "paced");
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
    choice.putObject("message").put("role", "assistant").put("content", answer);
    c.putObject("usage").put("prompt_tokens", 20).put("completion_tokens", answer.length() / 4)
        .put("total_tokens", 20 + answer.length() / 4);
    return c;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms); // the fake model's pace, on this request's own thread (not actor code)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
