package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real node with two tenants' API keys: the tenants are isolated end to end (intents, events,
 * traces, idempotency keys, documents and the agent's own document search), and no key, header
 * or provider secret reaches a log line, an answer, an event or a trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressSecurityE2ETest {
  static final String KEY_A = "tk-alpha-7f3e9c2b41d8a6e5";
  static final String KEY_B = "tk-bravo-0c5d1e8f92a7b3c4";
  static final String WRONG_KEY = "tk-wrong-5a6b7c8d9e0f1a2b";
  static final String PROVIDER_KEY = "sk-provider-secret-31415926";

  @TempDir
  static Path dataDir;

  private TestNode node;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<String> seen = new ArrayList<>();
  private Logger root;
  private Level rootLevel;

  static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  @BeforeAll
  void start() throws Exception {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.INFO);
    logs.start();
    root.addAppender(logs);
    node = TestNode.start(dataDir, Map.of(
        "troupe.http.api-keys", "alpha:" + sha256(KEY_A) + ":intents.write+intents.read+documents.write,"
            + "bravo:" + sha256(KEY_B) + ":intents.write+intents.read+documents.write",
        "troupe.llm.openai.api-key", PROVIDER_KEY,
        "troupe.vector-store.embedder", "hashing"));
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (node != null) {
        node.close();
      }
    } finally {
      root.detachAppender(logs);
      root.setLevel(rootLevel);
    }
  }

  @Test
  void twoTenantsWithTheSameSessionIdAreIsolated() throws Exception {
    var a = call(KEY_A, "POST", "/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 2 + 2?\",\"sessionId\":\"shared\"}");
    assertEquals(200, a.statusCode(), a.body());
    String id = TestNode.json(a).get("id").asText();
    assertEquals("shared.1", id);
    assertEquals("shared", TestNode.json(a).get("sessionId").asText());

    for (String path : List.of("/v1/intents/" + id, "/v1/intents/" + id + "/events", "/v1/intents/" + id + "/trace")) {
      var r = call(KEY_B, "GET", path, null);
      assertEquals(404, r.statusCode(), path + ": " + r.body());
      assertEquals("not_found", TestNode.json(r).at("/error/code").asText());
      assertFalse(r.body().contains("alpha"), r.body());
    }
    assertEquals(404, call(KEY_B, "DELETE", "/v1/intents/" + id, null).statusCode());

    var b = call(KEY_B, "POST", "/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 3 + 3?\",\"sessionId\":\"shared\"}");
    assertEquals(200, b.statusCode(), b.body());
    assertEquals("shared.1", TestNode.json(b).get("id").asText());
    assertTrue(TestNode.json(b).at("/outcome/answer").asText().contains("6"), b.body());
    var again = call(KEY_A, "GET", "/v1/intents/" + id, null);
    assertEquals("What is 2 + 2?", TestNode.json(again).get("text").asText());
    seen.add(a.body());
    seen.add(b.body());

    var events = call(KEY_A, "GET", "/v1/intents/" + id + "/events", null);
    assertEquals(200, events.statusCode());
    assertTrue(events.body().contains("\"sessionId\":\"shared\""), events.body());
    assertFalse(events.body().contains("~"), events.body());
    var trace = call(KEY_A, "GET", "/v1/intents/" + id + "/trace", null);
    assertEquals(200, trace.statusCode());
    assertFalse(trace.body().contains("alpha~"), trace.body());
    seen.add(events.body());
    seen.add(trace.body());
  }

  @Test
  void oneIdempotencyKeyUsedByTwoTenantsMakesTwoIntents() throws Exception {
    String a1 = submitWithKey(KEY_A, "invoice-2024-17");
    String a2 = submitWithKey(KEY_A, "invoice-2024-17");
    String b1 = submitWithKey(KEY_B, "invoice-2024-17");
    assertEquals(a1, a2);
    assertNotEquals(a1, b1);
    assertEquals(200, call(KEY_B, "GET", "/v1/intents/" + b1, null).statusCode());
    assertEquals(404, call(KEY_B, "GET", "/v1/intents/" + a1, null).statusCode());
  }

  @Test
  void documentsAndTheirSearchesStayWithinTheTenant() throws Exception {
    var ingest = call(KEY_A, "POST", "/v1/documents",
        "{\"documents\":[{\"id\":\"memo\",\"text\":\"The zebra launch code is pineapple.\"},"
            + "{\"id\":\"alpha-only\",\"text\":\"Zebra launch checklist for alpha.\"}]}");
    assertEquals(200, ingest.statusCode(), ingest.body());
    var theirs = call(KEY_B, "POST", "/v1/documents", "{\"documents\":[{\"id\":\"memo\",\"text\":\"Bravo likes lemons.\"}]}");
    assertEquals(200, theirs.statusCode(), theirs.body());

    var found = call(KEY_A, "GET", "/v1/documents/search?q=zebra%20launch%20code&k=10", null);
    assertTrue(found.body().contains("pineapple"), found.body());
    var search = call(KEY_B, "GET", "/v1/documents/search?q=zebra%20launch%20code&k=10", null);
    assertEquals(200, search.statusCode(), search.body());
    assertFalse(search.body().contains("pineapple") || search.body().contains("alpha"), search.body());

    var asked = call(KEY_B, "POST", "/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"Search the docs for zebra launch code\"}");
    assertEquals(200, asked.statusCode(), asked.body());
    assertFalse(asked.body().contains("pineapple"), asked.body());

    assertEquals(404, call(KEY_B, "DELETE", "/v1/documents/alpha-only", null).statusCode());
    assertEquals(200, call(KEY_B, "DELETE", "/v1/documents/memo", null).statusCode());
    assertTrue(call(KEY_A, "GET", "/v1/documents/search?q=zebra%20launch%20code&k=10", null).body().contains("pineapple"));
  }

  @Test
  void noKeyHeaderOrProviderSecretReachesALogAnAnswerAnEventOrATrace() throws Exception {
    List<HttpResponse<String>> answers = new ArrayList<>();
    answers.add(call(null, "GET", "/v1/tools", null));
    answers.add(call(WRONG_KEY, "GET", "/v1/tools", null));
    answers.add(callRaw("Bearer " + KEY_A + " " + KEY_A, "GET", "/v1/tools", null));
    answers.add(callRaw("Bearer " + WRONG_KEY + "==,x", "GET", "/v1/tools", null));
    answers.add(callRaw("Basic " + Base64.getEncoder().encodeToString(("alpha:" + KEY_A).getBytes(StandardCharsets.UTF_8)),
        "GET", "/v1/tools", null));
    answers.add(callRaw("Token " + KEY_A, "GET", "/v1/tools", null));
    answers.add(callRaw("Bearer " + WRONG_KEY, "POST", "/v1/intents", "{\"text\": "));
    answers.add(call(KEY_A, "POST", "/v1/intents", "{\"text\": "));
    answers.add(call(KEY_A, "POST", "/v1/intents", "{\"text\":\"x\",\"sessionId\":\"a~b\"}"));
    answers.add(call(KEY_A, "GET", "/v1/intents/nonsense/trace", null));
    var ok = call(KEY_A, "POST", "/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 17% of 2,340?\"}");
    assertEquals(200, ok.statusCode(), ok.body());
    String id = TestNode.json(ok).get("id").asText();
    answers.add(ok);
    answers.add(call(KEY_A, "GET", "/v1/intents/" + id + "/events", null));
    answers.add(call(KEY_A, "GET", "/v1/intents/" + id + "/trace", null));
    for (int i = 0; i < 6; i++) {
      assertEquals(401, answers.get(i).statusCode(), "answer " + i);
    }

    // Logging is asynchronous: a marker sent after the requests shows that their lines are in.
    String marker = "secrets-check-marker-" + System.nanoTime();
    node.running.system().log().warn(marker);
    TestProbe<Object> probe = TestProbe.create(node.running.system());
    probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      assertTrue(logLines().stream().anyMatch(l -> l.contains(marker)), "marker not logged yet");
      return null;
    });

    List<String> secrets = List.of(KEY_A, KEY_B, WRONG_KEY, PROVIDER_KEY, sha256(KEY_A), sha256(KEY_B),
        Base64.getEncoder().encodeToString(("alpha:" + KEY_A).getBytes(StandardCharsets.UTF_8)));
    List<String> texts = new ArrayList<>(logLines());
    answers.forEach(r -> texts.add(r.body() + " " + r.headers().map()));
    texts.addAll(seen);
    assertTrue(texts.size() > answers.size(), "no log lines captured");
    for (String text : texts) {
      for (String secret : secrets) {
        assertFalse(text.contains(secret), "a secret leaked into: " + text);
      }
    }
  }

  private List<String> logLines() {
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      StringBuilder line = new StringBuilder(e.getFormattedMessage()).append(' ').append(e.getMDCPropertyMap());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(line.toString());
    }
    return lines;
  }

  private String submitWithKey(String apiKey, String idempotencyKey) throws Exception {
    var r = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents"))
        .header("Authorization", "Bearer " + apiKey).header("Idempotency-Key", idempotencyKey)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"What is 5 + 5?\"}")));
    assertEquals(202, r.statusCode(), r.body());
    return TestNode.json(r).get("id").asText();
  }

  private HttpResponse<String> call(String apiKey, String method, String path, String body) throws Exception {
    return callRaw(apiKey == null ? null : "Bearer " + apiKey, method, path, body);
  }

  private HttpResponse<String> callRaw(String authorization, String method, String path, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(node.base + path));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    if (body != null) {
      r.header("Content-Type", "application/json");
    }
    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return node.send(r);
  }
}
