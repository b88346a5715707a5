package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DELETE /v1/intents/{id} on a real node: the run stops, the intent ends cancelled, the session goes on. */
class CancellationE2ETest {

  @TempDir
  Path dataDir;

  @Test
  void aCancelledIntentEndsCancelledAndTheNextIntentOfItsSessionWorks() throws Exception {
    try (TestNode node = TestNode.start(dataDir, Map.of("troupe.llm.local.latency", "800ms"))) {
      var submitted = node.post("/v1/intents", "{\"text\":\"What is 17% of 2,340?\",\"sessionId\":\"cancel-me\"}");
      assertEquals(202, submitted.statusCode(), submitted.body());
      String id = TestNode.json(submitted).get("id").asText();
      TestProbe<Object> probe = TestProbe.create(node.running.system());
      // Wait until the run has finished its tool turn and waits for the model again.
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
        JsonNode steps = TestNode.json(node.get("/v1/intents/" + id)).get("steps");
        assertTrue(steps.toString().contains("\"kind\":\"tool\""), steps.toString());
        return null;
      });

      var cancel = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents/" + id)).DELETE());
      assertEquals(202, cancel.statusCode(), cancel.body());
      JsonNode done = probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
        JsonNode view = TestNode.json(node.get("/v1/intents/" + id));
        assertEquals("cancelled", view.get("status").asText(), view.toString());
        return view;
      });
      assertTrue(done.at("/outcome/error").asText().contains("cancelled"), done.toString());
      var again = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/intents/" + id)).DELETE());
      assertEquals(409, again.statusCode(), again.body());

      var next = node.post("/v1/intents?wait=true&timeoutMs=30000",
          "{\"text\":\"What is 2 + 3?\",\"sessionId\":\"cancel-me\"}");
      assertEquals(200, next.statusCode(), next.body());
      assertEquals("succeeded", TestNode.json(next).get("status").asText());
      assertTrue(TestNode.json(next).at("/outcome/answer").asText().contains("5"), next.body());
    }
  }
}
