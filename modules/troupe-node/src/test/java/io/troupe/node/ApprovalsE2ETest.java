package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Human approval over HTTP on a real node (H2 journal): the run pauses, is listed, and is decided. */
class ApprovalsE2ETest {

  @TempDir
  Path dataDir;

  @Test
  void aPausedCallIsListedDecidedOnceAndThenRuns() throws Exception {
    try (TestNode node = TestNode.start(dataDir, Map.of("troupe.guardrail.require-approval", List.of("calculator")))) {
      var submitted = node.post("/v1/intents", "{\"text\":\"What is 17% of 2,340?\",\"sessionId\":\"approve-me\"}");
      assertEquals(202, submitted.statusCode(), submitted.body());
      String id = TestNode.json(submitted).get("id").asText();
      TestProbe<Object> probe = TestProbe.create(node.running.system());
      JsonNode listed = probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        JsonNode view = TestNode.json(node.get("/v1/intents/" + id));
        assertEquals("awaiting_approval", view.get("status").asText(), view.toString());
        JsonNode approvals = TestNode.json(node.get("/v1/approvals?status=pending")).get("approvals");
        assertEquals(1, approvals.size(), approvals.toString());
        return approvals.get(0);
      });
      assertEquals(id, listed.get("intentId").asText());
      assertEquals("calculator", listed.get("name").asText());
      assertEquals("tool_call", listed.get("kind").asText());
      String approvalId = listed.get("id").asText();

      assertEquals(400, node.post("/v1/intents/" + id + "/approvals", "{\"approvalId\":\"" + approvalId
          + "\",\"decision\":\"maybe\"}").statusCode());
      assertEquals(404, node.post("/v1/intents/" + id + "/approvals", "{\"approvalId\":\"zz\",\"decision\":\"approve\"}")
          .statusCode());
      var decided = node.post("/v1/intents/" + id + "/approvals", "{\"approvalId\":\"" + approvalId
          + "\",\"decision\":\"approve\",\"comment\":\"go\"}");
      assertEquals(200, decided.statusCode(), decided.body());
      assertEquals(id, TestNode.json(decided).get("id").asText());
      var again = node.post("/v1/intents/" + id + "/approvals", "{\"approvalId\":\"" + approvalId
          + "\",\"decision\":\"reject\"}");
      assertEquals(409, again.statusCode(), again.body());

      JsonNode done = probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        JsonNode view = TestNode.json(node.get("/v1/intents/" + id));
        assertEquals("succeeded", view.get("status").asText(), view.toString());
        return view;
      });
      assertTrue(done.at("/outcome/answer").asText().contains("397.8"), done.toString());
      assertEquals(0, TestNode.json(node.get("/v1/approvals")).get("approvals").size());
      JsonNode all = TestNode.json(node.get("/v1/approvals?status=all")).get("approvals");
      assertEquals("approved", all.get(0).get("status").asText(), all.toString());
      String events = node.get("/v1/intents/" + id + "/events").body();
      assertTrue(events.contains("approval.requested") && events.contains("approval.decided"), events);
    }
  }
}
