package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.SessionEntity;
import io.troupe.http.support.IngressLimits;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each ingress limit, set small, and the exact answer past it. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressLimitsTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.parseMap(Map.of(
          "troupe.http.server.max-header-value-length", "1k",
          "troupe.http.server.max-header-count", "20",
          "troupe.http.server.max-uri-length", "512"))
      .withFallback(ConfigFactory.load())).build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, ActorRef<SessionEntity.Command>> sessions = new ConcurrentHashMap<>();
  private int port;

  @BeforeAll
  void bind() throws Exception {
    IngressLimits limits = new IngressLimits(100, 256, 3, 16, 20, 2000, 50);
    HttpSettings settings = new HttpSettings("127.0.0.1", 0, 8192, 8192, Duration.ofSeconds(2), Duration.ofSeconds(2),
        Duration.ofSeconds(5), 3, Duration.ofSeconds(2), Duration.ofSeconds(15), 64, 10, 5, 50, 2, List.of(), limits);
    var status = new LlmGateway.Status(List.of());
    Backends backends = Fakes.backends(testKit,
        this::session,
        testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()),
        testKit.spawn(Fakes.vectorStore()),
        testKit.spawn(Fakes.llm(status)));
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, settings, bound));
    port = bound.get(10, TimeUnit.SECONDS).getPort();
  }

  private RecipientRef<SessionEntity.Command> session(String id) {
    return sessions.computeIfAbsent(id, k -> testKit.spawn(FakeSession.create(k)));
  }

  @Test
  void textLength() throws Exception {
    assertEquals(202, post("/v1/intents", "{\"text\":\"" + "x".repeat(100) + "\"}").statusCode());
    assertError(post("/v1/intents", "{\"text\":\"" + "x".repeat(101) + "\"}"), 413, "payload_too_large", "101 characters");
  }

  @Test
  void textLengthInABatchIsAnsweredInPlace() throws Exception {
    var r = post("/v1/intents:batch", "{\"intents\":[{\"text\":\"ok\"},{\"text\":\"" + "x".repeat(101) + "\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode results = Json.parse(r.body()).get("results");
    assertEquals("succeeded", results.at("/0/status").asText(), r.body());
    assertEquals("payload_too_large", results.at("/1/error/code").asText(), r.body());
  }

  @Test
  void metadataDepthAndSize() throws Exception {
    assertEquals(202, post("/v1/intents", "{\"text\":\"hi\",\"metadata\":{\"a\":{\"b\":[1]}}}").statusCode());
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"metadata\":{\"a\":{\"b\":[[1]]}}}"), 400, "invalid_request",
        "deeper than 3");
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"metadata\":{\"a\":\"" + "x".repeat(300) + "\"}}"), 413,
        "payload_too_large", "`metadata` is");
  }

  @Test
  void parserConstraints() throws Exception {
    assertError(post("/v1/intents", "[".repeat(17) + "]".repeat(17)), 400, "invalid_request", "deeper than 16 levels");
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"metadata\":{\"n\":" + "1".repeat(21) + "}}"), 400,
        "invalid_request", "number longer than 20");
    assertError(post("/v1/intents", "{\"" + "k".repeat(51) + "\":1}"), 400, "invalid_request", "name longer than 50");
    assertError(post("/v1/documents", "{\"documents\":[{\"text\":\"" + "x".repeat(2001) + "\"}]}"), 400,
        "invalid_request", "string longer than 2000");
  }

  @Test
  void duplicateKeysAreRejected() throws Exception {
    assertError(post("/v1/intents", "{\"text\":\"a\",\"text\":\"b\"}"), 400, "invalid_request", "Duplicate");
  }

  @Test
  void idsRejectInvisibleCharactersButTextKeepsThem() throws Exception {
    assertEquals(202, post("/v1/intents", "{\"text\":\"a \\u202e b\\u200b\"}").statusCode());
    assertError(post("/v1/documents", "{\"documents\":[{\"id\":\"d\\u202e1\",\"text\":\"t\"}]}"), 400,
        "invalid_request", "U+202E");
    assertError(post("/v1/intents", "{\"text\":\"a\\u0000\"}"), 400, "invalid_request", "control characters");
    assertError(post("/v1/intents", "{\"text\":\"a\\ud800\"}"), 400, "invalid_request", "unpaired surrogate");
    String keyInUtf8 = new String("k\u202e1".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertError(raw("POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
        + "Connection: close\r\nIdempotency-Key: " + keyInUtf8 + "\r\n\r\n{\"text\":\"a\"}"), 400, "invalid_request",
        "printable ASCII");
  }

  @Test
  void requestHeadLimitsAnswerJson() throws Exception {
    assertError(raw("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "v".repeat(2000) + "\r\n\r\n"), 431,
        "invalid_request", "");
    StringBuilder many = new StringBuilder("GET /health/live HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 30; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    assertError(raw(many + "\r\n"), 400, "invalid_request", "limit of 20 headers");
    assertError(raw("GET /v1/intents/" + "x".repeat(600) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "invalid_request", "");
  }

  @Test
  void aLongHeaderNameAnswersJson() throws Exception {
    assertError(raw("GET /health/live HTTP/1.1\r\nHost: x\r\nX-" + "n".repeat(100) + ": v\r\n\r\n"), 431,
        "invalid_request", "");
  }

  /** A body that stops arriving fails after the read timeout (ask-timeout, 2 s here) with 400, not at idle-timeout. */
  @Test
  void aStalledBodyGets400() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"text\":").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      byte[] buffer = new byte[4096];
      int n = socket.getInputStream().read(buffer);
      String text = new String(buffer, 0, Math.max(0, n), StandardCharsets.UTF_8);
      assertTrue(text.startsWith("HTTP/1.1 400 "), text);
      assertTrue(text.contains("\"code\":\"invalid_request\""), text);
    }
  }

  @Test
  void parserFailuresThatPekkoCalls5xxAre400() throws Exception {
    assertError(raw("GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n"), 400, "invalid_request", "");
    assertError(raw("FOO /health/live HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "invalid_request", "");
  }

  // --- helpers

  private static void assertError(Reply r, int status, String code, String messagePart) {
    assertEquals(status, r.status(), r.toString());
    assertTrue(r.contentType().startsWith("application/json"), r.toString());
    JsonNode error = Json.parse(r.body()).get("error");
    assertEquals(code, error.get("code").asText(), r.toString());
    assertTrue(error.get("message").asText().contains(messagePart), r.toString());
  }

  private static void assertError(HttpResponse<String> r, int status, String code, String messagePart) {
    assertError(new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body()), status, code,
        messagePart);
  }

  record Reply(int status, String contentType, String body) {}

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A raw request; the node answers a malformed head and closes. */
  private Reply raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.shutdownOutput();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      in.transferTo(out);
      String text = out.toString(StandardCharsets.UTF_8);
      int headEnd = text.indexOf("\r\n\r\n");
      String contentType = "";
      for (String line : text.substring(0, Math.max(0, headEnd)).split("\r\n")) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")) {
          contentType = line.substring(13).trim();
        }
      }
      return new Reply(Integer.parseInt(text.substring(9, 12)), contentType, text.substring(headEnd + 4));
    }
  }
}
