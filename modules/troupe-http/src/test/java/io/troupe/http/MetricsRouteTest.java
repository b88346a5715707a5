package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.SessionEntity;
import io.troupe.http.security.ApiKeys;
import io.troupe.http.security.SecuritySettings;
import io.troupe.metrics.Scrape;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
import org.apache.pekko.actor.typed.RecipientRef;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** GET /metrics over a real socket: the admin scope when auth is on, the text format, the gateway's breakers, shed requests. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsRouteTest {
  static final String ADMIN_KEY = "ops-admin-key-0101";
  static final String WRITER_KEY = "acme-writer-key-0102";

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, ActorRef<SessionEntity.Command>> sessions = new ConcurrentHashMap<>();
  private final AtomicLong inFlight = new AtomicLong();
  private String secured;
  private String open;

  @BeforeAll
  void bind() throws Exception {
    String keys = "ops:" + IngressSecurityTest.sha256(ADMIN_KEY) + ":admin,"
        + "acme:" + IngressSecurityTest.sha256(WRITER_KEY) + ":intents.write+intents.read+documents.write";
    LlmGateway.Status status = new LlmGateway.Status(List.of(
        new LlmGateway.TargetStatus("openai", "gpt-4o-mini", LlmGateway.BreakerState.OPEN, true, 2, 5)));
    secured = start(IngressSecurityTest.security(keys, 0, 0, 3), status);
    open = start(SecuritySettings.open(), status);
  }

  private String start(SecuritySettings security, LlmGateway.Status status) throws Exception {
    Backends backends = Fakes.backends(testKit, this::session,
        testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()),
        testKit.spawn(IngressSecurityTest.memoryVectorStore()),
        testKit.spawn(Fakes.llm(status)));
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, IngressSecurityTest.httpSettings(), security, inFlight::get, bound));
    return "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  private RecipientRef<SessionEntity.Command> session(String id) {
    return sessions.computeIfAbsent(id, k -> testKit.spawn(FakeSession.create(k)));
  }

  private HttpResponse<String> send(String at, String key, String method, String path, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(at + path)).timeout(Duration.ofSeconds(15));
    if (key != null) r.header("Authorization", "Bearer " + key);
    if (body != null) r.header("Content-Type", "application/json");
    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Scrape scrape(String at, String key) throws Exception {
    HttpResponse<String> r = send(at, key, "GET", "/metrics", null);
    assertEquals(200, r.statusCode(), r.body());
    return new Scrape(r.body());
  }

  @Test
  void withAuthOnMetricsNeedAnAdminKey() throws Exception {
    HttpResponse<String> none = send(secured, null, "GET", "/metrics", null);
    assertEquals(401, none.statusCode());
    assertEquals("unauthorized", Json.parse(none.body()).at("/error/code").asText());
    assertEquals(401, send(secured, "not-a-key", "GET", "/metrics", null).statusCode());
    HttpResponse<String> writer = send(secured, WRITER_KEY, "GET", "/metrics", null);
    assertEquals(403, writer.statusCode());
    assertEquals("forbidden", Json.parse(writer.body()).at("/error/code").asText());
    assertFalse(writer.body().contains("troupe_"), writer.body());

    HttpResponse<String> admin = send(secured, ADMIN_KEY, "GET", "/metrics", null);
    assertEquals(200, admin.statusCode());
    String type = admin.headers().firstValue("Content-Type").orElse("");
    assertTrue(type.startsWith("text/plain") && type.contains("version=0.0.4"), type);
    assertTrue(admin.body().contains("# TYPE troupe_intents_total counter"), admin.body());
    assertFalse(admin.body().contains(ADMIN_KEY));
  }

  @Test
  void withAuthOffTheScrapeIsOpen() throws Exception {
    Scrape s = scrape(open, null);
    assertEquals(0, s.value("troupe_intents_total", "status", "succeeded"));
    assertFalse(s.of("troupe_intents_in_flight", Map.of()).isEmpty());
    assertFalse(s.of("jvm_memory_used_bytes", Map.of("area", "heap")).isEmpty());
    assertEquals(405, send(open, null, "POST", "/metrics", "{}").statusCode());
  }

  @Test
  void eachScrapeShowsTheGatewaysBreakersAndBulkheads() throws Exception {
    Scrape s = scrape(secured, ADMIN_KEY);
    assertEquals(2, s.value("troupe_breaker_state", "provider", "openai", "model", "gpt-4o-mini"));
    assertEquals(2, s.value("troupe_model_calls_active", "provider", "openai", "model", "gpt-4o-mini"));
    assertEquals(5, s.value("troupe_model_calls_queued", "provider", "openai", "model", "gpt-4o-mini"));
  }

  @Test
  void intentsShedForAFullNodeAreCounted() throws Exception {
    double before = scrape(secured, ADMIN_KEY).value("troupe_ingress_shed_total", "reason", "overloaded");
    inFlight.set(3); // the secured ingress holds at most 3
    try {
      HttpResponse<String> r = send(secured, WRITER_KEY, "POST", "/v1/intents", "{\"text\":\"hi\"}");
      assertEquals(503, r.statusCode(), r.body());
    } finally {
      inFlight.set(0);
    }
    double after = scrape(secured, ADMIN_KEY).value("troupe_ingress_shed_total", "reason", "overloaded");
    assertEquals(1, after - before);
  }
}
