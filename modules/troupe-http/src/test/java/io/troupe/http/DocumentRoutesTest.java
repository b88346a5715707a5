package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.vector.VectorStore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The documents routes against a vector store played by a probe, over a real socket. */
class DocumentRoutesTest {

  static final ActorTestKit testKit = ActorTestKit.create();
  static final Duration WAIT = Duration.ofSeconds(10);
  static TestProbe<VectorStore.Command> store;
  static String base;
  static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void bind() throws Exception {
    store = testKit.createTestProbe();
    HttpSettings settings = new HttpSettings("127.0.0.1", 0, 4096, 1 << 20, Duration.ofSeconds(5), Duration.ofSeconds(5),
        Duration.ofSeconds(10), 3, Duration.ofSeconds(5), Duration.ofSeconds(15), 64, 1000, 5, 50, 2, List.of(),
        io.troupe.http.support.IngressLimits.defaults());
    Backends backends = Fakes.backends(testKit, id -> null, testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()), store.getRef(), null);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, settings, bound));
    base = "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static String batch(int n) {
    ObjectNode body = Json.object();
    ArrayNode docs = body.putArray("documents");
    for (int i = 0; i < n; i++) {
      docs.addObject().put("id", "d" + i).put("text", "text " + i);
    }
    return Json.write(body);
  }

  VectorStore.Upsert expectUpsert(int size) {
    VectorStore.Upsert upsert = store.expectMessageClass(VectorStore.Upsert.class, WAIT);
    assertEquals(size, upsert.documents().size());
    return upsert;
  }

  static void ack(VectorStore.Upsert upsert) {
    upsert.replyTo().tell(StatusReply.success(new VectorStore.Upserted(
        upsert.documents().stream().map(VectorStore.Document::id).toList())));
  }

  @Test
  void aLargeBatchIsWrittenInSlicesAndAnsweredWithItsIds() throws Exception {
    CompletableFuture<HttpResponse<String>> response = client.sendAsync(
        post("/v1/documents", batch(130)), HttpResponse.BodyHandlers.ofString());
    VectorStore.Upsert first = expectUpsert(64);
    assertEquals("d0", first.documents().get(0).id());
    ack(first);
    ack(expectUpsert(64)); // the next slice goes only after the first is durable
    VectorStore.Upsert last = expectUpsert(2);
    assertEquals("d129", last.documents().get(1).id());
    ack(last);
    HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode ids = Json.parse(r.body()).get("ids");
    assertEquals(130, ids.size());
    assertEquals("d129", ids.get(129).asText());
  }

  @Test
  void asyncIngestAnswers202AndShowsProgress() throws Exception {
    HttpResponse<String> accepted = send(post("/v1/documents?async=true", batch(130)));
    assertEquals(202, accepted.statusCode(), accepted.body());
    JsonNode job = Json.parse(accepted.body());
    String jobId = job.get("jobId").asText();
    assertEquals(130, job.get("total").asInt());
    assertEquals("running", job.get("status").asText());
    assertEquals("/v1/documents/jobs/" + jobId, job.at("/links/self").asText());
    assertEquals(130, job.get("ids").size());

    ack(expectUpsert(64));
    VectorStore.Upsert second = expectUpsert(64); // sent once the first is done and counted
    JsonNode progress = Json.parse(send(get("/v1/documents/jobs/" + jobId)).body());
    assertEquals(64, progress.get("done").asInt());
    assertEquals("running", progress.get("status").asText());
    ack(second);
    VectorStore.Upsert last = expectUpsert(2);
    last.replyTo().tell(StatusReply.error("unavailable: the vector-store subsystem is not ready"));
    store.awaitAssert(WAIT, () -> {
      JsonNode failed = Json.parse(uncheckedSend(get("/v1/documents/jobs/" + jobId)).body());
      assertEquals("failed", failed.get("status").asText());
      assertEquals(128, failed.get("done").asInt());
      assertEquals("unavailable", failed.at("/error/code").asText());
      return null;
    });

    HttpResponse<String> done = send(post("/v1/documents?async=true", batch(3)));
    String second202 = Json.parse(done.body()).get("jobId").asText();
    ack(expectUpsert(3));
    store.awaitAssert(WAIT, () -> {
      JsonNode ok = Json.parse(uncheckedSend(get("/v1/documents/jobs/" + second202)).body());
      assertEquals("succeeded", ok.get("status").asText());
      assertEquals(3, ok.get("done").asInt());
      return null;
    });
  }

  @Test
  void tagsGoInAsAnArrayAndComeBackAsOne() throws Exception {
    CompletableFuture<HttpResponse<String>> response = client.sendAsync(post("/v1/documents",
        "{\"documents\":[{\"id\":\"t\",\"text\":\"tagged\",\"metadata\":{\"tenant\":\"acme\",\"tags\":[\"a\",\"b\"]}}]}"),
        HttpResponse.BodyHandlers.ofString());
    VectorStore.Upsert upsert = expectUpsert(1);
    assertEquals(Map.of("tenant", "acme", "tags", "a,b"), upsert.documents().get(0).metadata());
    ack(upsert);
    assertEquals(200, response.get(10, TimeUnit.SECONDS).statusCode());

    CompletableFuture<HttpResponse<String>> search = client.sendAsync(
        get("/v1/documents/search?q=x&k=3&filter=tenant:acme,tag:a,tags:b"), HttpResponse.BodyHandlers.ofString());
    VectorStore.Search asked = store.expectMessageClass(VectorStore.Search.class, WAIT);
    assertEquals(Map.of("tenant", "acme", "tags", "a,b"), asked.filter());
    asked.replyTo().tell(StatusReply.success(new VectorStore.SearchResult(List.of(
        new VectorStore.Hit("t", 0.5, "ged", Map.of("tenant", "acme", "tags", "a,b"), 1, 3, 6)))));
    JsonNode hit = Json.parse(search.get(10, TimeUnit.SECONDS).body()).at("/hits/0");
    assertEquals("t", hit.get("id").asText());
    assertEquals(1, hit.get("chunk").asInt());
    assertEquals(3, hit.get("start").asInt());
    assertEquals(6, hit.get("end").asInt());
    assertEquals("[\"a\",\"b\"]", Json.write(hit.at("/metadata/tags")));

    CompletableFuture<HttpResponse<String>> jsonFilter = client.sendAsync(
        get("/v1/documents/search?q=x&filter=%7B%22tags%22%3A%5B%22a%22%5D%7D"), HttpResponse.BodyHandlers.ofString());
    VectorStore.Search asked2 = store.expectMessageClass(VectorStore.Search.class, WAIT);
    assertEquals(Map.of("tags", "a"), asked2.filter());
    asked2.replyTo().tell(StatusReply.success(new VectorStore.SearchResult(List.of())));
    assertEquals(200, jsonFilter.get(10, TimeUnit.SECONDS).statusCode());
  }

  @Test
  void badInputIsAJson4xx() throws Exception {
    assertError(send(get("/v1/documents/jobs/nope")), 404, "not_found");
    assertError(send(post("/v1/documents?async=maybe", batch(1))), 400, "invalid_request");
    assertError(send(post("/v1/documents", "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"tags\":[{\"x\":1}]}}]}")), 400, "invalid_request");
    assertError(send(post("/v1/documents", "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"tags\":[\"a,b\"]}}]}")), 400, "invalid_request");
    assertError(send(post("/v1/documents", batch(1001))), 400, "invalid_request");
    store.expectNoMessage(Duration.ofMillis(100));
  }

  static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, Json.parse(r.body()).at("/error/code").asText(), r.body());
  }

  static HttpRequest post(String path, String json) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  static HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(WAIT).GET().build();
  }

  static HttpResponse<String> send(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> uncheckedSend(HttpRequest request) {
    try {
      return send(request);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
