package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An intent outlives its node: stop the actor system, start a new one on the same data directory. */
class NodeDurabilityTest {

  @TempDir
  Path dataDir;

  @Test
  void anIntentIsReadBackAfterARestart() throws Exception {
    JsonNode before;
    try (TestNode first = TestNode.start(dataDir)) {
      var r = first.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 40 + 2?\"}");
      assertEquals(200, r.statusCode(), r.body());
      before = TestNode.json(r);
    }
    String id = before.get("id").asText();
    try (TestNode second = TestNode.start(dataDir)) {
      var r = second.get("/v1/intents/" + id);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode after = TestNode.json(r);
      assertEquals(before.get("status"), after.get("status"));
      assertEquals(before.get("outcome"), after.get("outcome"));
      assertEquals(before.get("text"), after.get("text"));
      assertEquals(before.get("steps").size(), after.get("steps").size());
      assertEquals(before.get("createdAt"), after.get("createdAt"));
      assertEquals(before.get("finishedAt"), after.get("finishedAt"));
    }
  }
}
