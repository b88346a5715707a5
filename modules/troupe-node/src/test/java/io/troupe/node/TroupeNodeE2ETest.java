package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The real node, in this JVM, with H2 in a temporary directory: the Done-when checks over HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TroupeNodeE2ETest {

  @TempDir
  static Path dataDir;

  private TestNode node;

  @BeforeAll
  void start() throws Exception {
    node = TestNode.start(dataDir);
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aSessionCanBeReadAndErasedAndItsIdsAreNotReused() throws Exception {
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 2+2?\",\"sessionId\":\"erase-me\"}");
    assertEquals(200, r.statusCode(), r.body());
    String intentId = TestNode.json(r).get("id").asText();
    assertEquals(200, node.get("/v1/sessions/erase-me").statusCode());
    var documents = node.post("/v1/documents", "{\"documents\":["
        + "{\"id\":\"erase-me-notes\",\"text\":\"The walrus ordered blue paint.\",\"metadata\":{\"sessionId\":\"erase-me\"}},"
        + "{\"id\":\"keep-me-notes\",\"text\":\"The walrus ordered red paint.\",\"metadata\":{\"sessionId\":\"keep-me\"}}]}");
    assertEquals(200, documents.statusCode(), documents.body());
    var erased = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/sessions/erase-me")).DELETE());
    assertEquals(204, erased.statusCode(), erased.body());
    // Its documents went with it; another session's stayed.
    String left = node.get("/v1/documents/search?q=walrus%20paint&k=10").body();
    assertTrue(left.contains("keep-me-notes") && !left.contains("erase-me-notes"), left);
    assertEquals(404, node.get("/v1/sessions/erase-me").statusCode());
    assertEquals(404, node.get("/v1/intents/" + intentId).statusCode());
    assertEquals(404, node.get("/v1/intents/" + intentId + "/trace").statusCode());
    assertEquals(404, node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/sessions/nobody-here")).DELETE()).statusCode());
    var again = node.post("/v1/intents", "{\"text\":\"What is 3+3?\",\"sessionId\":\"erase-me\"}");
    assertEquals(202, again.statusCode(), again.body());
    assertEquals("erase-me.2", TestNode.json(again).get("id").asText());
  }

  @Test
  void percentageAndUtcTimeInOneIntentWithConcurrentGuardedTools() throws Exception {
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000",
        "{\"text\":\"What is 17% of 2,340 and what time is it in UTC?\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    String answer = intent.at("/outcome/answer").asText();
    assertTrue(answer.contains("397.8"), answer);
    assertTrue(mentionsCurrentUtcTime(answer), "no current UTC time in: " + answer);

    var session = node.get("/v1/sessions/" + intent.get("sessionId").asText());
    assertEquals(200, session.statusCode(), session.body());
    JsonNode sessionJson = TestNode.json(session);
    assertEquals(intent.get("id").asText(), sessionJson.at("/intents/0/id").asText());
    assertEquals("user", sessionJson.at("/messages/0/role").asText());
    assertEquals(404, node.get("/v1/sessions/s-nobody").statusCode());

    var t = node.get("/v1/intents/" + intent.get("id").asText() + "/trace");
    assertEquals(200, t.statusCode(), t.body());
    JsonNode spans = TestNode.json(t).get("spans");
    List<JsonNode> tools = new ArrayList<>();
    spans.forEach(s -> {
      if (s.get("name").asText().startsWith("tool ")) {
        tools.add(s);
      }
    });
    assertEquals(2, tools.size(), "tool spans: " + tools);
    JsonNode a = tools.get(0);
    JsonNode b = tools.get(1);
    assertTrue(start(a) < end(b) && start(b) < end(a), "the two tool spans should overlap: " + tools);
    for (JsonNode tool : tools) {
      String toolName = tool.get("name").asText().substring("tool ".length());
      boolean allowedBefore = false;
      for (JsonNode s : spans) {
        if (s.get("name").asText().startsWith("guardrail") && s.get("name").asText().endsWith(" " + toolName)
            && "allow".equals(s.at("/attributes/troupe.step.status").asText()) && end(s) <= start(tool)) {
          allowedBefore = true;
        }
      }
      assertTrue(allowedBefore, "no guardrail allow before " + toolName + " in " + spans);
    }
  }

  @Test
  void batchAnswersInInputOrder() throws Exception {
    var r = node.post("/v1/intents:batch?timeoutMs=60000",
        "{\"intents\":[{\"text\":\"What is 11 + 11?\"},{\"text\":\"What is 40 + 2?\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode results = TestNode.json(r).get("results");
    assertEquals(2, results.size());
    assertTrue(results.at("/0/outcome/answer").asText().contains("22"), results.toString());
    assertTrue(results.at("/1/outcome/answer").asText().contains("42"), results.toString());
  }

  @Test
  void badInputGets4xxJson() throws Exception {
    assertError(node.post("/v1/intents", "{\"text\":"), 400, "invalid_request");
    assertError(node.post("/v1/intents", "{\"text\":17}"), 400, "invalid_request");
    assertError(node.post("/v1/intents", "{\"text\":\"\"}"), 400, "invalid_request");
    assertError(node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents"))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hi"))), 415, "unsupported_media_type");
    assertError(node.post("/v1/intents", "{\"text\":\"" + "x".repeat(1_100_000) + "\"}"), 413, "payload_too_large");
    assertError(node.get("/v1/intents/s-nobody.1"), 404, "not_found");
    assertError(node.get("/v1/intents/%20"), 404, "not_found");
    assertError(node.get("/v1/nothing"), 404, "not_found");
    assertError(node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents")).PUT(HttpRequest.BodyPublishers.noBody())),
        405, "invalid_request");
  }

  @Test
  void eventsStreamEndsWithTheTerminalEvent() throws Exception {
    String id = TestNode.json(node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 6 * 7?\"}"))
        .get("id").asText();
    var r = node.get("/v1/intents/" + id + "/events");
    assertEquals(200, r.statusCode());
    assertTrue(r.body().startsWith("id: 1\nevent: intent.accepted\ndata: {"), r.body());
    assertTrue(r.body().strip().contains("event: intent.succeeded"), r.body());
  }

  private static boolean mentionsCurrentUtcTime(String answer) {
    LocalTime now = LocalTime.now(ZoneOffset.UTC);
    Matcher m = Pattern.compile("(\\d{1,2}):(\\d{2})").matcher(answer);
    while (m.find()) {
      LocalTime t = LocalTime.of(Integer.parseInt(m.group(1)) % 24, Integer.parseInt(m.group(2)));
      long minutes = Math.abs(Duration.between(t, now).toMinutes());
      if (minutes <= 2 || minutes >= 24 * 60 - 2) {
        return true;
      }
    }
    return false;
  }

  private static long start(JsonNode span) {
    return span.get("startTimeUnixNano").asLong();
  }

  private static long end(JsonNode span) {
    return span.get("endTimeUnixNano").asLong();
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
    JsonNode body = TestNode.json(r);
    assertEquals(code, body.at("/error/code").asText(), r.body());
    assertNotNull(body.at("/error/message").asText());
    assertFalse(r.body().contains("Exception"), r.body());
  }
}
