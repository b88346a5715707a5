package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.SessionEntity;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
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
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole HTTP contract against fake sessions and subsystems, over real sockets. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpRoutesTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, ActorRef<SessionEntity.Command>> sessions = new ConcurrentHashMap<>();
  private String base;
  private String notReadyBase;
  private String breakerOpenBase;

  @BeforeAll
  void bind() throws Exception {
    io.troupe.core.agent.Agents.get(testKit.system()).define(io.troupe.core.agent.AgentSpec.builder("support")
        .description("Answers questions about orders").model("openai", "gpt-4o-mini").temperature(0.2)
        .tools(List.of("calculator")).outputSchema("{\"type\":\"object\",\"properties\":{\"answer\":"
            + "{\"type\":\"string\"}},\"required\":[\"answer\"]}").build());
    HttpSettings settings = HttpSettings.fromConfig(testKit.system().settings().config().getConfig("troupe.http"));
    settings = new HttpSettings("127.0.0.1", 0, 2048, 4096, Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(10), 3, Duration.ofSeconds(5), Duration.ofSeconds(15), 64, 10, 5, 50, 2, List.of(),
        settings.limits());
    base = start(settings, true, LlmGateway.BreakerState.CLOSED);
    notReadyBase = start(settings, false, LlmGateway.BreakerState.CLOSED);
    breakerOpenBase = start(settings, true, LlmGateway.BreakerState.OPEN);
  }

  private String start(HttpSettings settings, boolean databaseReady, LlmGateway.BreakerState breaker) throws Exception {
    var status = new LlmGateway.Status(List.of(new LlmGateway.TargetStatus("openai", "gpt-4o-mini", breaker, true, 1, 0)));
    Backends backends = Fakes.backends(testKit,
        this::session,
        testKit.spawn(Fakes.supervisor(Fakes.readiness(databaseReady))),
        testKit.spawn(Fakes.tools()),
        testKit.spawn(Fakes.vectorStore()),
        testKit.spawn(Fakes.llm(status)));
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, settings, bound));
    InetSocketAddress address = bound.get(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + address.getPort();
  }

  private RecipientRef<SessionEntity.Command> session(String id) {
    return sessions.computeIfAbsent(id, k -> testKit.spawn(
        k.equals("silent") ? Fakes.silentSession() : FakeSession.create(k)));
  }

  // --- submit

  @Test
  void submitAnswers202WithLinks() throws Exception {
    var r = post("/v1/intents", "{\"text\":\"hello\"}");
    assertEquals(202, r.statusCode());
    JsonNode body = json(r);
    String id = body.get("id").asText();
    assertTrue(id.matches("s-[0-9a-f]{24}\\.1"), id);
    assertEquals(id.substring(0, id.lastIndexOf('.')), body.get("sessionId").asText());
    assertEquals("accepted", body.get("status").asText());
    assertEquals("/v1/intents/" + id, body.at("/links/self").asText());
    assertEquals("/v1/intents/" + id + "/events", body.at("/links/events").asText());
    assertEquals("/v1/intents/" + id + "/trace", body.at("/links/trace").asText());
    assertEquals("/v1/intents/" + id, r.headers().firstValue("Location").orElseThrow());

    JsonNode resource = json(get("/v1/intents/" + id));
    assertEquals("succeeded", resource.get("status").asText());
    assertEquals("echo: hello", resource.at("/outcome/answer").asText());
  }

  @Test
  void waitTrueAnswers200WithTheResource() throws Exception {
    var r = post("/v1/intents?wait=true&timeoutMs=5000", "{\"text\":\"What is 2 + 2?\",\"sessionId\":\"s-wait\",\"metadata\":{\"user\":\"ada\"}}");
    assertEquals(200, r.statusCode());
    JsonNode body = json(r);
    assertEquals("s-wait", body.get("sessionId").asText());
    assertEquals("succeeded", body.get("status").asText());
    assertEquals("What is 2 + 2?", body.get("text").asText());
    assertTrue(body.get("createdAt").asText().endsWith("Z"));
    assertTrue(body.get("finishedAt").isTextual());
    assertEquals("echo: What is 2 + 2?", body.at("/outcome/answer").asText());
    assertEquals("none", body.at("/outcome/nextAction").asText());
    assertTrue(body.at("/outcome/error").isNull());
    JsonNode step = body.at("/steps/1");
    for (String field : List.of("seq", "kind", "name", "status", "startedAt", "finishedAt", "detail")) {
      assertTrue(step.has(field), field);
    }
    assertEquals("tool", step.get("kind").asText());
    assertEquals(1, body.at("/usage/toolCalls").asInt());
  }

  @Test
  void waitTimeoutAnswers202WithTheRunningResource() throws Exception {
    var r = post("/v1/intents?wait=true&timeoutMs=300", "{\"text\":\"slow one\"}");
    assertEquals(202, r.statusCode());
    JsonNode body = json(r);
    assertEquals("running", body.get("status").asText());
    assertTrue(body.get("finishedAt").isNull());
    assertTrue(body.has("outcome"));
  }

  @Test
  void idempotencyKeyLandsOnTheSameIntent() throws Exception {
    var first = json(send(request("/v1/intents").header("Idempotency-Key", "order-42")
        .header("Content-Type", "application/json").POST(body("{\"text\":\"pay\"}"))));
    var second = json(send(request("/v1/intents").header("Idempotency-Key", "order-42")
        .header("Content-Type", "application/json").POST(body("{\"text\":\"pay\"}"))));
    assertEquals(first.get("id").asText(), second.get("id").asText());
    var other = json(post("/v1/intents", "{\"text\":\"pay\"}"));
    assertNotEquals(first.get("sessionId").asText(), other.get("sessionId").asText());
  }

  @Test
  void aTraceparentPutsTheIntentInTheCallersTraceAndAnInvalidOneIsIgnored() throws Exception {
    var joined = json(send(request("/v1/intents?wait=true").header("Content-Type", "application/json")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").POST(body("{\"text\":\"hi\"}"))));
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", joined.get("traceId").asText());
    var invalid = send(request("/v1/intents?wait=true").header("Content-Type", "application/json")
        .header("traceparent", "00-not-a-trace-01").POST(body("{\"text\":\"hi\"}")));
    assertEquals(200, invalid.statusCode());
    assertEquals("0af7651916cd43dd8448eb211c80319c", json(invalid).get("traceId").asText());
    var batch = json(send(request("/v1/intents:batch").header("Content-Type", "application/json")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .POST(body("{\"intents\":[{\"text\":\"a\"},{\"text\":\"b\"}]}"))));
    for (var item : batch.get("results")) {
      assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", item.get("traceId").asText(), "every item of a batch joins it");
    }
  }

  // --- bad input

  @Test
  void badInputGetsPreciseJsonErrors() throws Exception {
    assertError(post("/v1/intents", "{\"text\": "), 400, "invalid_request", "malformed JSON");
    assertError(post("/v1/intents", "{\"text\":\"a\"} trailing"), 400, "invalid_request", "malformed JSON");
    assertError(post("/v1/intents", "{\"text\":42}"), 400, "invalid_request", "`text` must be a string");
    assertError(post("/v1/intents", "{}"), 400, "invalid_request", "`text` is required");
    assertError(post("/v1/intents", "{\"text\":\"   \"}"), 400, "invalid_request", "`text` must not be empty");
    assertError(post("/v1/intents", "[1,2]"), 400, "invalid_request", "must be a JSON object");
    assertError(post("/v1/intents", "{\"text\":\"x\",\"sessionId\":\"no spaces allowed\"}"), 400, "invalid_request", "`sessionId`");
    assertError(post("/v1/intents", "{\"text\":\"x\",\"sessionId\":7}"), 400, "invalid_request", "`sessionId` must be a string");
    assertError(post("/v1/intents", "{\"text\":\"x\",\"metadata\":\"m\"}"), 400, "invalid_request", "`metadata` must be a JSON object");
    assertError(post("/v1/intents?wait=true&timeoutMs=soon", "{\"text\":\"x\"}"), 400, "invalid_request", "timeoutMs");
    assertError(post("/v1/intents?wait=maybe", "{\"text\":\"x\"}"), 400, "invalid_request", "wait");
    assertError(send(request("/v1/intents").POST(HttpRequest.BodyPublishers.noBody())), 400, "invalid_request", "body is required");
    assertError(send(request("/v1/intents").header("Content-Type", "text/plain").POST(body("{\"text\":\"x\"}"))),
        415, "unsupported_media_type", "application/json");
  }

  @Test
  void oversizedBodiesGet413() throws Exception {
    String big = "{\"text\":\"" + "x".repeat(5000) + "\"}";
    assertError(post("/v1/intents", big), 413, "payload_too_large", "larger than 2048 bytes");
    // Chunked, without a declared length: the limit applies while streaming.
    byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
    var chunked = send(request("/v1/intents").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
    assertError(chunked, 413, "payload_too_large", "larger than");
  }

  @Test
  void unknownRoutesMethodsAndIdsAreJson() throws Exception {
    assertError(get("/v1/nothing-here"), 404, "not_found", "");
    assertError(get("/"), 404, "not_found", "");
    assertError(get("/v1/intents"), 405, "invalid_request", "POST");
    assertError(send(request("/v1/tools").PUT(body("{}"))), 405, "invalid_request", "GET");
    assertError(get("/v1/intents/s-unknown.9"), 404, "not_found", "s-unknown.9");
    assertError(get("/v1/intents/not-an-intent-id"), 404, "not_found", "not-an-intent-id");
    assertError(get("/v1/intents/..%2F..%2Fetc/trace"), 404, "not_found", "");
    assertError(get("/v1/intents/s-unknown.9/events"), 404, "not_found", "");
    assertError(get("/v1/intents/s-unknown.9/trace"), 404, "not_found", "");
  }

  @Test
  void requestsTooMalformedToRouteGetJsonToo() throws Exception {
    URI uri = URI.create(base);
    try (var socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nthis is no header\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String raw = readUntil(socket.getInputStream(), "}}");
      assertTrue(raw.startsWith("HTTP/1.1 400"), raw);
      assertTrue(raw.contains("Content-Type: application/json"), raw);
      assertTrue(raw.contains("{\"error\":{\"code\":\"invalid_request\""), raw);
      assertFalse(raw.contains("Server:"), raw);
    }
  }

  @Test
  void askTimeoutsAre503() throws Exception {
    var r = get("/v1/intents/silent.1");
    assertError(r, 503, "unavailable", "");
    assertTrue(r.headers().firstValue("Retry-After").isPresent());
  }

  // --- batch

  @Test
  void batchAnswersInInputOrderWithPerItemErrors() throws Exception {
    var r = post("/v1/intents:batch",
        "{\"intents\":[{\"text\":\"What is 11 + 11?\"},{\"text\":5},{\"text\":\"What is 40 + 2?\",\"sessionId\":\"s-b\"}]}");
    assertEquals(200, r.statusCode());
    JsonNode results = json(r).get("results");
    assertEquals(3, results.size());
    assertEquals("echo: What is 11 + 11?", results.at("/0/outcome/answer").asText());
    assertEquals("succeeded", results.at("/0/status").asText());
    assertEquals("invalid_request", results.at("/1/error/code").asText());
    assertTrue(results.at("/1/error/message").asText().contains("intents[1]"));
    assertEquals("echo: What is 40 + 2?", results.at("/2/outcome/answer").asText());
    assertEquals("s-b", results.at("/2/sessionId").asText());

    assertError(post("/v1/intents:batch", "{\"intents\":[]}"), 400, "invalid_request", "must not be empty");
    assertError(post("/v1/intents:batch", "{\"intents\":{}}"), 400, "invalid_request", "must be an array");
    assertError(post("/v1/intents:batch", "{}"), 400, "invalid_request", "`intents` is required");
    assertError(post("/v1/intents:batch",
        "{\"intents\":[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\"},{\"text\":\"d\"}]}"), 400, "invalid_request", "at most 3");
  }

  @Test
  void batchItemsThatOutliveTheTimeoutComeBackRunning() throws Exception {
    var r = post("/v1/intents:batch?timeoutMs=300", "{\"intents\":[{\"text\":\"slow batch\"},{\"text\":\"quick\"}]}");
    assertEquals(200, r.statusCode());
    JsonNode results = json(r).get("results");
    assertEquals("running", results.at("/0/status").asText());
    assertEquals("succeeded", results.at("/1/status").asText());
  }

  // --- events

  @Test
  void eventsStreamAsServerSentEventsAndClose() throws Exception {
    String id = json(post("/v1/intents?wait=true", "{\"text\":\"stream me\"}")).get("id").asText();
    var r = get("/v1/intents/" + id + "/events");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    String[] frames = r.body().strip().split("\n\n");
    assertEquals(3, frames.length, r.body());
    String[] first = frames[0].split("\n");
    assertEquals("id: 1", first[0]);
    assertEquals("event: intent.accepted", first[1]);
    assertTrue(first[2].startsWith("data: {"), first[2]);
    JsonNode data = Json.parse(first[2].substring(6));
    assertEquals("intent.accepted", data.get("type").asText());
    assertEquals(1, data.get("seq").asInt());
    assertEquals(id, data.get("intentId").asText());
    assertTrue(frames[2].contains("event: intent.succeeded"), frames[2]);

    var resumed = send(request("/v1/intents/" + id + "/events").header("Last-Event-ID", "2").GET());
    String[] rest = resumed.body().strip().split("\n\n");
    assertEquals(1, rest.length, resumed.body());
    assertTrue(rest[0].contains("id: 3"));

    assertError(send(request("/v1/intents/" + id + "/events").header("Last-Event-ID", "abc").GET()),
        400, "invalid_request", "Last-Event-ID");
  }

  @Test
  void eventsOfARunningIntentEndWithItsTerminalEvent() throws Exception {
    String id = json(post("/v1/intents", "{\"text\":\"slow stream\"}")).get("id").asText();
    CompletableFuture<HttpResponse<String>> stream =
        client.sendAsync(request("/v1/intents/" + id + "/events").GET().build(), HttpResponse.BodyHandlers.ofString());
    // The cancel ends the intent; the open stream then gets the terminal event and closes.
    assertEquals(202, send(request("/v1/intents/" + id).DELETE()).statusCode());
    String body = stream.get(10, TimeUnit.SECONDS).body();
    assertTrue(body.contains("event: intent.cancelled"), body);
  }

  // --- trace

  @Test
  void traceHasOtlpSpans() throws Exception {
    String id = json(post("/v1/intents?wait=true", "{\"text\":\"trace me\"}")).get("id").asText();
    var r = get("/v1/intents/" + id + "/trace");
    assertEquals(200, r.statusCode());
    JsonNode trace = json(r);
    String traceId = trace.get("traceId").asText();
    assertEquals(32, traceId.length());
    JsonNode spans = trace.get("spans");
    assertEquals(4, spans.size());
    for (JsonNode span : spans) {
      for (String f : List.of("traceId", "spanId", "parentSpanId", "name", "startTimeUnixNano", "endTimeUnixNano", "attributes", "status")) {
        assertTrue(span.has(f), f + " in " + span);
      }
      assertEquals(traceId, span.get("traceId").asText());
      assertTrue(span.get("startTimeUnixNano").asLong() <= span.get("endTimeUnixNano").asLong());
    }
    JsonNode root = spans.get(0);
    assertEquals("intent", root.get("name").asText());
    assertTrue(root.get("parentSpanId").isNull());
    assertEquals("b7ad6b7169203331", root.get("spanId").asText());
    assertEquals("guardrail tool_call calculator", spans.at("/1/name").asText());
    assertEquals("tool calculator", spans.at("/2/name").asText());
    assertEquals("model", spans.at("/3/name").asText());
    assertEquals(root.get("spanId").asText(), spans.at("/2/parentSpanId").asText());
    assertEquals("calculator", spans.at("/2/attributes/gen_ai.tool.name").asText());
    assertEquals("STATUS_CODE_OK", spans.at("/2/status/code").asText());
  }

  // --- cancel

  @Test
  void cancelIs202WhileRunning409OnceTerminal404WhenUnknown() throws Exception {
    String running = json(post("/v1/intents", "{\"text\":\"slow cancel\"}")).get("id").asText();
    var r = send(request("/v1/intents/" + running).DELETE());
    assertEquals(202, r.statusCode());
    assertEquals("cancelled", json(r).get("status").asText());
    assertError(send(request("/v1/intents/" + running).DELETE()), 409, "conflict", "cancelled");
    assertError(send(request("/v1/intents/s-nope.1").DELETE()), 404, "not_found", "");
  }

  // --- health

  @Test
  void healthLiveAndReady() throws Exception {
    assertEquals(200, get("/health/live").statusCode());
    var ready = get("/health/ready");
    assertEquals(200, ready.statusCode());
    JsonNode body = json(ready);
    assertEquals("ready", body.get("status").asText());
    assertEquals("ready", body.at("/subsystems/database/status").asText());
    assertEquals(12, body.at("/subsystems/database/initMillis").asInt());
    assertFalse(body.at("/subsystems/database").has("error"));
    assertEquals("closed", body.at("/subsystems/llm-gateway/providers/0/breaker").asText());
  }

  @Test
  void anOpenCircuitBreakerShowsAsDegradedButStillReady() throws Exception {
    var ready = send(HttpRequest.newBuilder(URI.create(breakerOpenBase + "/health/ready")).GET());
    assertEquals(200, ready.statusCode());
    JsonNode body = json(ready);
    assertEquals("degraded", body.get("status").asText());
    assertEquals("open", body.at("/subsystems/llm-gateway/providers/0/breaker").asText());
    assertEquals("circuit open for openai/gpt-4o-mini", body.at("/subsystems/llm-gateway/error").asText());
  }

  @Test
  void notReadyIs503AndIntentsAreRefused() throws Exception {
    var ready = send(HttpRequest.newBuilder(URI.create(notReadyBase + "/health/ready")).GET());
    assertEquals(503, ready.statusCode());
    JsonNode body = json(ready);
    assertEquals("not_ready", body.get("status").asText());
    assertEquals("down", body.at("/subsystems/database/status").asText());
    assertEquals("init failed: connection refused", body.at("/subsystems/database/error").asText());

    var submit = send(HttpRequest.newBuilder(URI.create(notReadyBase + "/v1/intents"))
        .header("Content-Type", "application/json").POST(body("{\"text\":\"x\"}")));
    assertError(submit, 503, "unavailable", "database");
    assertEquals("2", submit.headers().firstValue("Retry-After").orElseThrow());
    assertEquals(200, send(HttpRequest.newBuilder(URI.create(notReadyBase + "/health/live")).GET()).statusCode());
  }

  // --- tools and documents

  @Test
  void toolsAreListedWithSchemas() throws Exception {
    var r = get("/v1/tools");
    assertEquals(200, r.statusCode());
    JsonNode tool = json(r).at("/tools/0");
    assertEquals("calculator", tool.get("name").asText());
    assertEquals("Evaluates arithmetic", tool.get("description").asText());
    assertEquals("object", tool.at("/parameters/type").asText());
    assertEquals("READ_ONLY", tool.get("effect").asText());
    assertFalse(tool.get("blocking").asBoolean());
    assertEquals(30000, tool.get("timeoutMs").asLong());
    assertEquals(16, tool.get("maxConcurrent").asInt());
    assertEquals("builtin", tool.get("source").asText());
    JsonNode mcp = json(r).at("/tools/1");
    assertEquals("files_write", mcp.get("name").asText());
    assertEquals("SIDE_EFFECTING", mcp.get("effect").asText());
    assertTrue(mcp.get("blocking").asBoolean());
    assertEquals(5000, mcp.get("timeoutMs").asLong());
    assertEquals(2, mcp.get("maxConcurrent").asInt());
    assertEquals("mcp:files", mcp.get("source").asText());
  }

  @Test
  void documentsIngestSearchAndDelete() throws Exception {
    var r = post("/v1/documents", "{\"documents\":[{\"id\":\"a\",\"text\":\"Pekko actors\",\"metadata\":{\"lang\":\"en\",\"year\":2024}},{\"text\":\"no id\"}]}");
    assertEquals(200, r.statusCode());
    JsonNode ids = json(r).get("ids");
    assertEquals("a", ids.get(0).asText());
    assertEquals(2, ids.size());

    var hits = json(get("/v1/documents/search?q=actors&k=3&filter=lang:en,year:2024")).get("hits");
    assertEquals("d1", hits.at("/0/id").asText());
    assertEquals(0.9, hits.at("/0/score").asDouble());
    assertEquals("about actors", hits.at("/0/text").asText());
    assertEquals("en", hits.at("/0/metadata/lang").asText());
    assertEquals("2024", hits.at("/0/metadata/year").asText());
    var jsonFilter = json(get("/v1/documents/search?q=actors&filter=%7B%22lang%22%3A%22de%22%7D")).get("hits");
    assertEquals("de", jsonFilter.at("/0/metadata/lang").asText());

    assertError(get("/v1/documents/search"), 400, "invalid_request", "`q`");
    assertError(get("/v1/documents/search?q=x&k=0"), 400, "invalid_request", "`k`");
    assertError(get("/v1/documents/search?q=x&filter=nonsense"), 400, "invalid_request", "filter");
    assertError(post("/v1/documents", "{\"documents\":[{\"text\":1}]}"), 400, "invalid_request", "documents[0]: `text`");
    assertError(post("/v1/documents", "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"a\":[1]}}]}"), 400, "invalid_request", "metadata");
    assertEquals(200, send(request("/v1/documents/known").DELETE()).statusCode());
    assertError(send(request("/v1/documents/unknown").DELETE()), 404, "not_found", "unknown");
  }

  @Test
  void aTakenPortFailsTheBindingAndStopsTheIngress() throws Exception {
    try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      HttpSettings settings = HttpSettings.fromConfig(testKit.system().settings().config().getConfig("troupe.http"));
      HttpSettings onTaken = new HttpSettings("127.0.0.1", taken.getLocalPort(), settings.maxBodyBytes(),
          settings.maxDocumentBodyBytes(), settings.askTimeout(), settings.waitDefaultTimeout(), settings.waitMaxTimeout(),
          settings.batchMaxSize(), settings.batchDefaultTimeout(), settings.sseKeepAlive(), settings.sseBufferSize(),
          settings.documentsMaxCount(), settings.documentsDefaultK(), settings.documentsMaxK(),
          settings.retryAfterSeconds(), List.of(), settings.limits());
      CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
      var probe = testKit.createTestProbe();
      var ingress = testKit.spawn(HttpIngress.create(
          Fakes.backends(testKit, this::session, testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
              testKit.spawn(Fakes.tools()), testKit.spawn(Fakes.vectorStore()), null),
          onTaken, bound));
      var failure = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
          () -> bound.get(10, TimeUnit.SECONDS));
      assertNotNull(failure.getCause());
      probe.expectTerminated(ingress, Duration.ofSeconds(10));
    }
  }

  // --- helpers

  /** Reads a raw response until {@code end} appears (or the peer closes). */
  private static String readUntil(java.io.InputStream in, String end) throws java.io.IOException {
    StringBuilder out = new StringBuilder();
    byte[] buffer = new byte[1024];
    int n;
    while (!out.toString().contains(end) && (n = in.read(buffer)) > 0) {
      out.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  // --- agents

  @Test
  void agentsAreListedWithTheirModelToolsAndOutputSchema() throws Exception {
    var r = get("/v1/agents");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode agents = json(r).get("agents");
    assertEquals("default", agents.at("/0/name").asText());
    assertTrue(agents.at("/0/tools").isArray());
    assertFalse(agents.get(0).has("outputSchema"), "only an agent with one has it");
    JsonNode support = agents.get(1);
    assertEquals("support", support.get("name").asText());
    assertEquals("Answers questions about orders", support.get("description").asText());
    assertEquals("openai", support.at("/model/provider").asText());
    assertEquals("gpt-4o-mini", support.at("/model/name").asText());
    assertEquals(0.2, support.at("/model/temperature").asDouble());
    assertEquals(List.of("calculator"), List.of(support.at("/tools/0").asText()));
    assertEquals("string", support.at("/outputSchema/properties/answer/type").asText());
  }

  @Test
  void anIntentNamesItsAgentAndABadOneGetsA400NamingTheAgents() throws Exception {
    assertEquals(202, post("/v1/intents", "{\"text\":\"hi\",\"agent\":\"support\"}").statusCode());
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"agent\":42}"), 400, "invalid_request",
        "`agent` must be a string");
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"agent\":[\"support\"]}"), 400, "invalid_request",
        "`agent` must be a string");
    assertError(post("/v1/intents", "{\"text\":\"hi\",\"agent\":\"\"}"), 400, "invalid_request", "`agent` must name");
    assertError(post("/v1/intents?wait=true", "{\"text\":\"hi\",\"agent\":\"nope\"}"), 400, "invalid_request",
        "unknown agent 'nope'; the agents are default, support");
    JsonNode batch = json(post("/v1/intents:batch",
        "{\"intents\":[{\"text\":\"a\",\"agent\":\"nope\"},{\"text\":\"b\",\"agent\":\"support\"}]}"));
    assertTrue(batch.at("/results/0/error/message").asText().contains("intents[0]: unknown agent 'nope'"),
        batch.toString());
    assertEquals("succeeded", batch.at("/results/1/status").asText(), batch.toString());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15));
  }

  private static HttpRequest.BodyPublisher body(String s) {
    return HttpRequest.BodyPublishers.ofString(s);
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return send(request(path).header("Content-Type", "application/json").POST(body(json)));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) {
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
        "content type of " + r.statusCode() + " " + r.body());
    return Json.parse(r.body());
  }

  private static void assertError(HttpResponse<String> r, int status, String code, String messagePart) {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertEquals(code, body.at("/error/code").asText(), r.body());
    String message = body.at("/error/message").asText();
    assertNotNull(message);
    assertTrue(message.contains(messagePart), "'" + message + "' should contain '" + messagePart + "'");
    assertFalse(message.contains("Exception"), message);
  }
}
