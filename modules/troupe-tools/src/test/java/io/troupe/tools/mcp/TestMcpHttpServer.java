package io.troupe.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.troupe.core.json.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal MCP server over streamable HTTP on 127.0.0.1:0 for the tests: POST /mcp takes one
 * JSON-RPC message and answers with application/json (or 202 for notifications); GET is 405 (no
 * server-initiated stream). Tools: {@code upper} (read-only) and {@code fail} (reports an error).
 */
final class TestMcpHttpServer implements AutoCloseable {
  private final HttpServer server;
  final AtomicInteger calls = new AtomicInteger();

  TestMcpHttpServer(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext("/mcp", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port() + "/mcp";
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("POST")) {
        ex.sendResponseHeaders(ex.getRequestMethod().equals("DELETE") ? 200 : 405, -1);
        return;
      }
      JsonNode msg = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      if (!msg.has("id") || !msg.has("method")) {
        ex.sendResponseHeaders(202, -1);
        return;
      }
      ObjectNode out = Json.object().put("jsonrpc", "2.0");
      out.set("id", msg.get("id"));
      JsonNode params = msg.path("params");
      switch (msg.get("method").asText()) {
        case "initialize" -> {
          ObjectNode r = out.putObject("result");
          r.put("protocolVersion", params.path("protocolVersion").asText("2025-06-18"));
          r.putObject("capabilities").putObject("tools");
          r.putObject("serverInfo").put("name", "http-test").put("version", "1");
          ex.getResponseHeaders().add("Mcp-Session-Id", "s-1");
        }
        case "tools/list" -> {
          ArrayNode tools = out.putObject("result").putArray("tools");
          ObjectNode upper = tools.addObject().put("name", "upper").put("description", "Upper-cases text");
          upper.set("inputSchema", Json.parse("{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}"));
          upper.putObject("annotations").put("readOnlyHint", true);
          ObjectNode fail = tools.addObject().put("name", "fail").put("description", "Always fails");
          fail.set("inputSchema", Json.parse("{\"type\":\"object\"}"));
        }
        case "tools/call" -> {
          calls.incrementAndGet();
          ObjectNode r = out.putObject("result");
          ArrayNode content = r.putArray("content");
          if (params.path("name").asText().equals("upper")) {
            content.addObject().put("type", "text").put("text", params.path("arguments").path("text").asText().toUpperCase());
            r.put("isError", false);
          } else {
            content.addObject().put("type", "text").put("text", "disk on fire");
            r.put("isError", true);
          }
        }
        case "ping" -> out.putObject("result");
        default -> out.putObject("error").put("code", -32601).put("message", "method not found");
      }
      byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, bytes.length);
      ex.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
