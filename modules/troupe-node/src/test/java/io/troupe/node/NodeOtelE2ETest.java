package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.otel.OtlpReceiver;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real node with OTLP export on (the SDK's standard settings, here as system properties): the
 * README's intent, submitted over HTTP with a traceparent, reaches a loopback OTLP receiver as the
 * same spans, with the same ids, as {@code GET /v1/intents/{id}/trace} shows, under the caller's span.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeOtelE2ETest {

  private static final String ENDPOINT = "otel.exporter.otlp.endpoint";

  @TempDir
  static Path dataDir;

  private OtlpReceiver receiver;
  private TestNode node;

  @BeforeAll
  void start() throws Exception {
    receiver = new OtlpReceiver();
    System.setProperty(ENDPOINT, receiver.endpoint());
    try {
      node = TestNode.start(dataDir); // the export reads its settings once, at start
    } finally {
      System.clearProperty(ENDPOINT);
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) node.close();
    if (receiver != null) receiver.close();
  }

  @Test
  void anIntentsSpansReachTheCollectorWithTheIdsOfItsTraceUnderTheCallersSpan() throws Exception {
    String caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    HttpResponse<String> r = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents?wait=true&timeoutMs=60000"))
        .header("Content-Type", "application/json")
        .header("traceparent", caller)
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"What is 17% of 2,340 and what time is it in UTC?\"}")));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertEquals("0af7651916cd43dd8448eb211c80319c", intent.get("traceId").asText());

    JsonNode trace = TestNode.json(node.get("/v1/intents/" + intent.get("id").asText() + "/trace"));
    Map<String, String> parents = new HashMap<>();
    trace.get("spans").forEach(s -> parents.put(s.get("spanId").asText(), s.get("parentSpanId").asText(null)));
    List<OtlpReceiver.Received> spans = receiver.awaitSpans(got -> got.size() >= parents.size(), Duration.ofSeconds(30));

    // The same spans, ids and parents; the root's parent is the caller's span.
    assertEquals(parents.keySet(), spans.stream().map(OtlpReceiver.Received::spanId).collect(Collectors.toSet()));
    for (OtlpReceiver.Received s : spans) {
      assertEquals("0af7651916cd43dd8448eb211c80319c", s.traceId());
      String expected = parents.get(s.spanId());
      assertEquals(expected == null ? "b7ad6b7169203331" : expected, s.parentSpanId(), s.name());
    }
    Set<String> names = spans.stream().map(OtlpReceiver.Received::name).collect(Collectors.toSet());
    assertTrue(names.containsAll(Set.of("intent", "execute_tool calculator", "execute_tool current_time")), names.toString());
    assertTrue(spans.stream().anyMatch(s -> "local".equals(s.string("gen_ai.provider.name"))), names.toString());

    // The export counts what it sent on the node's /metrics.
    String metrics = node.get("/metrics").body();
    assertTrue(metrics.contains("troupe_otel_spans_exported_total"), "no export counter in /metrics");
  }
}
