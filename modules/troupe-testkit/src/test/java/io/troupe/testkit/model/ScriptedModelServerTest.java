package io.troupe.testkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScriptedModelServerTest {

  private static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\","
      + "\"description\":\"d\",\"parameters\":{\"type\":\"object\"}}}]";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> post(ScriptedModelServer server, String body, Duration timeout) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
        .timeout(timeout).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static ScriptedModel model() {
    return ScriptedModel.create()
        .when(Requests.lastUserMessageContains("busy"), Reply.rateLimited(Duration.ofSeconds(7)))
        .when(Requests.lastUserMessageContains("broken"), Reply.serverError())
        .when(Requests.lastUserMessageContains("hang"), Reply.hang())
        .when(Requests.lastUserMessageContains("cut"), Reply.cutStream("Hel", "lo"))
        .when(Requests.hasToolResultFrom("weather"), Reply.text("It is sunny.").withUsage(30, 4))
        .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"));
  }

  @Test
  void answersToolCallsAndTextInTheOpenAiShapeAndRecordsTheParsedRequest() throws Exception {
    ScriptedModel model = model();
    try (ScriptedModelServer server = ScriptedModelServer.start(model)) {
      var first = post(server, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]," + TOOLS + "}",
          Duration.ofSeconds(5));
      assertEquals(200, first.statusCode());
      JsonNode choice = Json.parse(first.body()).path("choices").get(0);
      assertEquals("tool_calls", choice.path("finish_reason").asText());
      JsonNode call = choice.path("message").path("tool_calls").get(0);
      assertEquals("weather", call.path("function").path("name").asText());
      assertEquals("Oslo", Json.parse(call.path("function").path("arguments").asText()).path("city").asText());

      var second = post(server, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
          + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
          + "\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},"
          + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"name\":\"weather\",\"content\":\"{\\\"sky\\\":\\\"sun\\\"}\"}],"
          + TOOLS + "}", Duration.ofSeconds(5));
      JsonNode answer = Json.parse(second.body());
      assertEquals("It is sunny.", answer.path("choices").get(0).path("message").path("content").asText());
      assertEquals(34, answer.path("usage").path("total_tokens").asInt());

      assertEquals(2, model.requests().size());
      assertEquals("call_1", model.requests().get(1).messages().get(2).toolCallId());
      assertEquals("weather", model.requests().get(1).messages().get(1).toolCalls().get(0).name());
    }
  }

  @Test
  void mapsFaultsToHttp() throws Exception {
    try (ScriptedModelServer server = ScriptedModelServer.start(model())) {
      var busy = post(server, "{\"messages\":[{\"role\":\"user\",\"content\":\"busy\"}]}", Duration.ofSeconds(5));
      assertEquals(429, busy.statusCode());
      assertEquals("7", busy.headers().firstValue("retry-after").orElse(""));
      var broken = post(server, "{\"messages\":[{\"role\":\"user\",\"content\":\"broken\"}]}", Duration.ofSeconds(5));
      assertEquals(500, broken.statusCode());
      var bad = post(server, "{not json", Duration.ofSeconds(5));
      assertEquals(400, bad.statusCode());
      boolean timedOut = false;
      try {
        post(server, "{\"messages\":[{\"role\":\"user\",\"content\":\"hang\"}]}", Duration.ofMillis(300));
      } catch (HttpTimeoutException e) {
        timedOut = true;
      }
      assertTrue(timedOut, "a hanging model never answers");
    }
  }

  @Test
  void streamsChunksThenDoneAndACutStreamEndsWithoutDone() throws Exception {
    try (ScriptedModelServer server = ScriptedModelServer.start(ScriptedModel.create()
        .when(Requests.lastUserMessageContains("cut"), Reply.cutStream("Hel", "lo"))
        .when(Requests.any(), Reply.text("one two").streamedByWord()))) {
      var ok = post(server, "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Duration.ofSeconds(5));
      assertEquals(200, ok.statusCode());
      String body = ok.body();
      assertTrue(body.contains("\"content\":\"one \""), body);
      assertTrue(body.contains("\"content\":\"two\""), body);
      assertTrue(body.contains("\"finish_reason\":\"stop\""), body);
      assertTrue(body.trim().endsWith("data: [DONE]"), body);

      var cut = post(server, "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"cut\"}]}", Duration.ofSeconds(5));
      assertTrue(cut.body().contains("\"content\":\"Hel\""), cut.body());
      assertFalse(cut.body().contains("[DONE]"), cut.body());
      assertFalse(cut.body().contains("\"finish_reason\":\"stop\""), cut.body());
    }
  }
}
