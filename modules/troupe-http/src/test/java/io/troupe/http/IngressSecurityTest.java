package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.vector.VectorStore;
import io.troupe.http.security.ApiKeys;
import io.troupe.http.security.Scope;
import io.troupe.http.security.SecuritySettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** API keys, scopes, tenant isolation, rate limits and load shedding, against fakes over real sockets. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressSecurityTest {
  static final String ACME_KEY = "acme-secret-key-0001";
  static final String GLOBEX_KEY = "globex-secret-key-0002";
  static final String READER_KEY = "acme-reader-key-0003";
  static final String ADMIN_KEY = "ops-admin-key-0004";
  static final String BUSY_KEY = "busy-key-0005";
  static final String CALM_KEY = "calm-key-0006";

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, ActorRef<SessionEntity.Command>> sessions = new ConcurrentHashMap<>();
  private final AtomicLong inFlight = new AtomicLong();
  private String base;
  private String limitedBase;

  static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  static HttpSettings httpSettings() {
    return new HttpSettings("127.0.0.1", 0, 4096, 1 << 20, Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(10), 3, Duration.ofSeconds(5), Duration.ofSeconds(15), 64, 100, 5, 50, 2, List.of(),
        io.troupe.http.support.IngressLimits.defaults());
  }

  static SecuritySettings security(String keys, double rate, int burst, long maxInFlight) {
    return new SecuritySettings(true, ApiKeys.parse(keys), rate, burst, maxInFlight, SecuritySettings.Tls.OFF, List.of());
  }

  @BeforeAll
  void bind() throws Exception {
    String keys = String.join(",",
        "acme:" + sha256(ACME_KEY) + ":intents.write+intents.read+documents.write",
        "globex:" + sha256(GLOBEX_KEY) + ":intents.write+intents.read+documents.write",
        "acme:" + sha256(READER_KEY) + ":intents.read",
        "ops:" + sha256(ADMIN_KEY) + ":admin");
    base = start(security(keys, 0, 0, 5));
    limitedBase = start(security(
        "busy:" + sha256(BUSY_KEY) + ":admin,calm:" + sha256(CALM_KEY) + ":admin", 0.5, 2, 0));
  }

  private String start(SecuritySettings security) throws Exception {
    Backends backends = Fakes.backends(testKit,
        this::session,
        testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()),
        testKit.spawn(memoryVectorStore()), null);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, httpSettings(), security, inFlight::get, bound));
    return "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  private RecipientRef<SessionEntity.Command> session(String id) {
    return sessions.computeIfAbsent(id, k -> testKit.spawn(FakeSession.create(k)));
  }

  /** A vector store that keeps documents by id and filters on exact metadata, as the real one does. */
  static Behavior<VectorStore.Command> memoryVectorStore() {
    Map<String, VectorStore.Document> docs = new LinkedHashMap<>();
    return Behaviors.receive(VectorStore.Command.class)
        .onMessage(VectorStore.Upsert.class, m -> {
          m.documents().forEach(d -> docs.put(d.id(), d));
          m.replyTo().tell(StatusReply.success(new VectorStore.Upserted(m.documents().stream().map(VectorStore.Document::id).toList())));
          return Behaviors.same();
        })
        .onMessage(VectorStore.Search.class, m -> {
          List<VectorStore.Hit> hits = docs.values().stream()
              .filter(d -> m.filter().entrySet().stream().allMatch(f -> f.getValue().equals(d.metadata().get(f.getKey()))))
              .limit(m.k())
              .map(d -> new VectorStore.Hit(d.id(), 0.5, d.text(), d.metadata()))
              .toList();
          m.replyTo().tell(StatusReply.success(new VectorStore.SearchResult(hits)));
          return Behaviors.same();
        })
        .onMessage(VectorStore.Delete.class, m -> {
          m.replyTo().tell(StatusReply.success(new VectorStore.Deleted(m.id(), docs.remove(m.id()) != null)));
          return Behaviors.same();
        })
        .build();
  }

  // --- authentication

  @Test
  void missingMalformedAndUnknownKeysAre401WithAChallenge() throws Exception {
    List<HttpResponse<String>> answers = List.of(
        send(base, null, "GET", "/v1/tools", null),
        send(base, "Basic " + ACME_KEY, "GET", "/v1/tools", null),
        send(base, "Bearer", "GET", "/v1/tools", null),
        send(base, "Bearer not-a-key", "GET", "/v1/tools", null),
        send(base, "Bearer " + ACME_KEY + "x", "POST", "/v1/intents", "{\"text\":\"hi\"}"),
        send(base, "bearer  " + ACME_KEY.toUpperCase(), "GET", "/v1/intents/s-1.1", null));
    for (HttpResponse<String> r : answers) {
      assertError(r, 401, "unauthorized");
      assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElseThrow());
      assertFalse(r.body().contains(ACME_KEY) || r.body().toLowerCase().contains(ACME_KEY.toLowerCase()), r.body());
    }
    assertEquals(200, send(base, null, "GET", "/health/live", null).statusCode());
    assertEquals(200, send(base, null, "GET", "/health/ready", null).statusCode());
    assertEquals(200, send(base, "Bearer " + ACME_KEY, "GET", "/v1/tools", null).statusCode());
    assertEquals(200, send(base, "bearer " + ACME_KEY, "GET", "/v1/tools", null).statusCode());
  }

  @Test
  void theConsoleIsStaticAndOpenWhileTheApiItCallsStillNeedsAKey() throws Exception {
    HttpResponse<String> page = send(base, null, "GET", "/console", null);
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.body().contains("console/console.js"), page.body());
    String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"), policy);
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    HttpResponse<String> script = send(base, null, "GET", "/console/console.js", null);
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("Content-Type").orElse("").startsWith("application/javascript"));
    assertFalse(script.body().contains("console.log"), "the console script logs");
    assertTrue(send(base, null, "GET", "/console/console.css", null).headers()
        .firstValue("Content-Type").orElse("").startsWith("text/css"));
    assertEquals(301, send(base, null, "GET", "/console/", null).statusCode());
    assertError(send(base, "Bearer " + ACME_KEY, "GET", "/console/secrets.txt", null), 404, "not_found");
    assertError(send(base, null, "GET", "/console/../v1/tools", null), 401, "unauthorized");
    assertError(send(base, null, "GET", "/v1/intents/s-1.1/events", null), 401, "unauthorized");
  }

  @Test
  void aKeyWithoutTheScopeIs403() throws Exception {
    String reader = "Bearer " + READER_KEY;
    assertError(send(base, reader, "POST", "/v1/intents", "{\"text\":\"hi\"}"), 403, "forbidden");
    assertError(send(base, reader, "POST", "/v1/intents:batch", "{\"intents\":[{\"text\":\"hi\"}]}"), 403, "forbidden");
    assertError(send(base, reader, "POST", "/v1/documents", "{\"documents\":[{\"text\":\"t\"}]}"), 403, "forbidden");
    assertError(send(base, reader, "DELETE", "/v1/documents/x", null), 403, "forbidden");
    assertEquals(200, send(base, reader, "GET", "/v1/tools", null).statusCode());
    assertEquals(200, send(base, reader, "GET", "/v1/documents/search?q=anything", null).statusCode());

    // The reader shares acme's tenant: it reads acme's intents, and may not cancel them.
    String id = json(send(base, "Bearer " + ACME_KEY, "POST", "/v1/intents", "{\"text\":\"slow read\"}")).get("id").asText();
    assertEquals(200, send(base, reader, "GET", "/v1/intents/" + id, null).statusCode());
    assertError(send(base, reader, "DELETE", "/v1/intents/" + id, null), 403, "forbidden");
    assertEquals(202, send(base, "Bearer " + ACME_KEY, "DELETE", "/v1/intents/" + id, null).statusCode());

    // admin implies every scope.
    String admin = "Bearer " + ADMIN_KEY;
    assertEquals(202, send(base, admin, "POST", "/v1/intents", "{\"text\":\"hi\"}").statusCode());
    assertEquals(200, send(base, admin, "POST", "/v1/documents", "{\"documents\":[{\"text\":\"t\"}]}").statusCode());
  }

  // --- tenancy

  @Test
  void tenantsWithTheSameSessionIdAreIsolated() throws Exception {
    String acme = "Bearer " + ACME_KEY;
    String globex = "Bearer " + GLOBEX_KEY;
    var a = send(base, acme, "POST", "/v1/intents?wait=true", "{\"text\":\"acme plans\",\"sessionId\":\"shared\"}");
    assertEquals(200, a.statusCode(), a.body());
    JsonNode intent = json(a);
    String id = intent.get("id").asText();
    assertEquals("shared.1", id);
    assertEquals("shared", intent.get("sessionId").asText());
    assertEquals("/v1/intents/shared.1", intent.at("/links/self").asText());
    assertFalse(a.body().contains("acme~"), a.body());

    assertError(send(base, globex, "GET", "/v1/intents/" + id, null), 404, "not_found");
    assertError(send(base, globex, "GET", "/v1/intents/" + id + "/events", null), 404, "not_found");
    assertError(send(base, globex, "GET", "/v1/intents/" + id + "/trace", null), 404, "not_found");
    assertError(send(base, globex, "DELETE", "/v1/intents/" + id, null), 404, "not_found");
    // Naming the internal id does not help: it is no intent id.
    assertError(send(base, globex, "GET", "/v1/intents/acme~shared.1", null), 404, "not_found");
    assertError(send(base, globex, "POST", "/v1/intents", "{\"text\":\"x\",\"sessionId\":\"acme~shared\"}"), 400, "invalid_request");

    // Globex's own session of that name is its own.
    JsonNode theirs = json(send(base, globex, "POST", "/v1/intents?wait=true", "{\"text\":\"globex plans\",\"sessionId\":\"shared\"}"));
    assertEquals("shared.1", theirs.get("id").asText());
    assertEquals("echo: globex plans", theirs.at("/outcome/answer").asText());
    assertEquals("echo: acme plans", json(send(base, acme, "GET", "/v1/intents/" + id, null)).at("/outcome/answer").asText());

    var events = send(base, acme, "GET", "/v1/intents/" + id + "/events", null);
    assertEquals(200, events.statusCode());
    assertTrue(events.body().contains("\"intentId\":\"shared.1\""), events.body());
    assertFalse(events.body().contains("~"), events.body());
    var trace = send(base, acme, "GET", "/v1/intents/" + id + "/trace", null);
    assertEquals("shared.1", json(trace).at("/spans/0/attributes/troupe.intent.id").asText());
    assertEquals("shared", json(trace).at("/spans/0/attributes/troupe.session.id").asText());
    assertFalse(trace.body().contains("~"), trace.body());

    var batch = send(base, acme, "POST", "/v1/intents:batch", "{\"intents\":[{\"text\":\"b\",\"sessionId\":\"shared\"}]}");
    assertEquals("shared.2", json(batch).at("/results/0/id").asText(), batch.body());
    assertFalse(batch.body().contains("~"), batch.body());
  }

  @Test
  void anIdempotencyKeyIsScopedToItsTenant() throws Exception {
    String first = submitWithKey(ACME_KEY, "order-7");
    assertEquals(first, submitWithKey(ACME_KEY, "order-7"));
    String other = submitWithKey(GLOBEX_KEY, "order-7");
    assertNotEquals(first, other);
    assertTrue(other.matches("s-[0-9a-f]{24}\\.1"), other);
  }

  private String submitWithKey(String apiKey, String idempotencyKey) throws Exception {
    var r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/intents")).timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer " + apiKey).header("Idempotency-Key", idempotencyKey)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"pay\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r.body());
    return json(r).get("id").asText();
  }

  @Test
  void documentsBelongToTheirTenant() throws Exception {
    String acme = "Bearer " + ACME_KEY;
    String globex = "Bearer " + GLOBEX_KEY;
    var ingest = send(base, acme, "POST", "/v1/documents",
        "{\"documents\":[{\"id\":\"plan\",\"text\":\"acme secret plan\",\"metadata\":{\"kind\":\"memo\"}}]}");
    assertEquals(200, ingest.statusCode(), ingest.body());
    assertEquals("plan", json(ingest).at("/ids/0").asText());
    send(base, globex, "POST", "/v1/documents", "{\"documents\":[{\"id\":\"other\",\"text\":\"globex notes\"}]}");

    JsonNode hits = json(send(base, acme, "GET", "/v1/documents/search?q=plan&k=10", null)).get("hits");
    assertEquals(1, hits.size(), hits.toString());
    assertEquals("plan", hits.at("/0/id").asText());
    assertEquals("memo", hits.at("/0/metadata/kind").asText());
    assertFalse(hits.at("/0/metadata").has(VectorStore.TENANT_KEY), hits.toString());

    var theirs = send(base, globex, "GET", "/v1/documents/search?q=plan&k=10", null);
    assertFalse(theirs.body().contains("acme"), theirs.body());
    // Asking for acme's tenant in the filter changes nothing: the ingress sets the tenant.
    var sneaky = send(base, globex, "GET", "/v1/documents/search?q=plan&k=10&filter=troupe.tenant:acme", null);
    assertFalse(sneaky.body().contains("acme"), sneaky.body());
    assertError(send(base, globex, "POST", "/v1/documents",
        "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"troupe.tenant\":\"acme\"}}]}"), 400, "invalid_request");

    assertError(send(base, globex, "DELETE", "/v1/documents/plan", null), 404, "not_found");
    var deleted = send(base, acme, "DELETE", "/v1/documents/plan", null);
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals("plan", json(deleted).get("id").asText());
  }

  // --- rate limits and shedding

  @Test
  void aTenantPastItsRateGets429WithRetryAfterAndOthersDoNot() throws Exception {
    HttpResponse<String> limited = null;
    for (int i = 0; i < 10 && limited == null; i++) {
      var r = send(limitedBase, "Bearer " + BUSY_KEY, "GET", "/v1/tools", null);
      if (r.statusCode() == 429) {
        limited = r;
      } else {
        assertEquals(200, r.statusCode(), r.body());
      }
    }
    assertTrue(limited != null, "no 429 within 10 requests at 0.5/s with a burst of 2");
    assertError(limited, 429, "rate_limited");
    int retryAfter = Integer.parseInt(limited.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
    assertEquals(200, send(limitedBase, "Bearer " + CALM_KEY, "GET", "/v1/tools", null).statusCode());
    assertEquals(200, send(limitedBase, null, "GET", "/health/live", null).statusCode());
  }

  @Test
  void aFullNodeShedsNewIntentsWith503ButStillReads() throws Exception {
    String acme = "Bearer " + ACME_KEY;
    String id = json(send(base, acme, "POST", "/v1/intents", "{\"text\":\"before the flood\"}")).get("id").asText();
    inFlight.set(5);
    try {
      var shed = send(base, acme, "POST", "/v1/intents", "{\"text\":\"one more\"}");
      assertError(shed, 503, "overloaded");
      assertEquals("2", shed.headers().firstValue("Retry-After").orElseThrow());
      assertError(send(base, acme, "POST", "/v1/intents:batch", "{\"intents\":[{\"text\":\"x\"}]}"), 503, "overloaded");
      // shed before the work: the body is not even parsed (else this would be a 400)
      assertError(send(base, acme, "POST", "/v1/intents", "{not json"), 503, "overloaded");
      assertError(send(base, acme, "POST", "/v1/intents:batch", "[]"), 503, "overloaded");
      assertEquals(200, send(base, acme, "GET", "/v1/intents/" + id, null).statusCode());
      assertEquals(200, send(base, acme, "GET", "/v1/tools", null).statusCode());
    } finally {
      inFlight.set(0);
    }
    assertEquals(202, send(base, acme, "POST", "/v1/intents", "{\"text\":\"after the flood\"}").statusCode());
  }

  // --- configuration

  @Test
  void authModeFollowsKeysAndBindAddress() throws Exception {
    String hash = sha256("k");
    assertTrue(settings("0.0.0.0", "auto", "t:" + hash + ":admin").authEnabled());
    assertFalse(settings("127.0.0.1", "auto", "").authEnabled());
    assertFalse(settings("localhost", "auto", "").authEnabled());
    var refused = assertThrows(IllegalArgumentException.class, () -> settings("0.0.0.0", "auto", ""));
    assertTrue(refused.getMessage().contains("TROUPE_API_KEYS"), refused.getMessage());
    SecuritySettings open = settings("0.0.0.0", "off", "");
    assertFalse(open.authEnabled());
    assertTrue(open.warnings().get(0).contains("AUTH IS OFF"), open.warnings().toString());
    SecuritySettings closed = settings("127.0.0.1", "on", "");
    assertTrue(closed.authEnabled());
    assertEquals(1, closed.warnings().size());
    assertThrows(IllegalArgumentException.class, () -> settings("127.0.0.1", "sometimes", ""));
  }

  @Test
  void malformedKeyEntriesFailWithoutEchoingTheHash() throws Exception {
    String hash = sha256("secret");
    for (String bad : List.of(
        "acme:" + hash,
        "acme:" + hash + ":intents.write+root",
        "ac me:" + hash + ":admin",
        "acme:" + hash.substring(1) + ":admin",
        "acme:" + hash + ":admin,globex:" + hash + ":admin",
        "acme:secret:admin")) {
      var e = assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(bad), bad);
      assertFalse(e.getMessage().contains(hash.substring(8, 40)), e.getMessage());
      assertFalse(e.getMessage().contains("secret:"), e.getMessage());
      assertTrue(e.getMessage().contains("TROUPE_API_KEYS"), e.getMessage());
    }
    ApiKeys keys = ApiKeys.parse(" acme:" + hash.toUpperCase() + ":intents.read+documents.write , ");
    var caller = keys.authenticate("secret").orElseThrow();
    assertEquals("acme", caller.tenant());
    assertTrue(caller.has(Scope.DOCUMENTS_WRITE));
    assertFalse(caller.has(Scope.INTENTS_WRITE));
    assertTrue(keys.authenticate("Secret").isEmpty());
    assertFalse(keys.toString().contains(hash));
  }

  private static SecuritySettings settings(String host, String mode, String keys) {
    Config http = ConfigFactory.parseMap(Map.of("host", host, "auth.enabled", mode, "api-keys", keys))
        .withFallback(ConfigFactory.load().getConfig("troupe.http"));
    return SecuritySettings.fromConfig(http);
  }

  // --- helpers

  private HttpResponse<String> send(String at, String authorization, String method, String path, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(at + path)).timeout(Duration.ofSeconds(15));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    if (body != null) {
      r.header("Content-Type", "application/json");
    }
    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) {
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
    return Json.parse(r.body());
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, json(r).at("/error/code").asText(), r.body());
  }
}
