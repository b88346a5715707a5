package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An intent outlives its node: stop the actor system, start a new one on the same data, read it back. */
class NodeDurabilityTest {

  private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  @TempDir
  Path dataDir;

  @Test
  void anIntentIsReadBackAfterARestart() throws Exception {
    assertSurvivesARestart(Map.of());
  }

  /** The same on the PostgreSQL journal and database that TROUPE_DB_URL selects in production. */
  @Test
  void anIntentIsReadBackAfterARestartOnPostgres() throws Exception {
    String schema = "troupe_node_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection admin = postgresOrSkip()) {
      admin.createStatement().execute("CREATE SCHEMA " + schema);
      try {
        assertSurvivesARestart(Map.of(
            "troupe.database.url", PG_URL + "?currentSchema=" + schema,
            "troupe.database.user", "postgres",
            "troupe.database.journal-schema", schema + "_journal"));
        try (var rows = admin.createStatement().executeQuery(
            "SELECT count(*) FROM " + schema + "_journal.event_journal")) {
          rows.next();
          assertTrue(rows.getLong(1) >= 3, "the intent's events are in the PostgreSQL journal (accepted, started, finished)");
        }
      } finally {
        admin.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        admin.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + "_journal CASCADE");
      }
    }
  }

  @Test
  void anIntentRunningWhenItsNodeStopsResumesWhenTheNodeComesBack() throws Exception {
    String id = startAnIntentThenStopTheNode();
    try (TestNode second = TestNode.start(dataDir)) {
      TestProbe<Object> probe = TestProbe.create(second.running.system());
      JsonNode after = probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
        JsonNode view = TestNode.json(second.get("/v1/intents/" + id));
        assertEquals("succeeded", view.get("status").asText(), view.toString());
        return view;
      });
      assertTrue(after.at("/outcome/answer").asText().contains("42"), after.toString());
      String events = second.get("/v1/intents/" + id + "/events").body(); // the stream ends: the intent is terminal
      assertTrue(events.contains("intent.resumed"), events);
    }
  }

  @Test
  void withResumesOffAnIntentRunningWhenItsNodeStopsEndsInterruptedWithAReason() throws Exception {
    String id = startAnIntentThenStopTheNode();
    try (TestNode second = TestNode.start(dataDir, Map.of("troupe.agent.max-resumes", 0))) {
      JsonNode after = TestNode.json(second.get("/v1/intents/" + id));
      assertEquals("interrupted", after.get("status").asText(), after.toString());
      assertEquals("interrupted", after.at("/outcome/errorCode").asText());
      assertTrue(after.at("/outcome/error").asText().contains("node stopped"), after.toString());
      assertTrue(after.get("finishedAt").isTextual());
      // The session takes new intents after the interruption.
      var next = second.post("/v1/intents?wait=true&timeoutMs=60000",
          "{\"text\":\"What is 11 + 11?\",\"sessionId\":\"" + after.get("sessionId").asText() + "\"}");
      assertEquals(200, next.statusCode(), next.body());
      assertTrue(TestNode.json(next).at("/outcome/answer").asText().contains("22"));
    }
  }

  /** Submits an intent whose model call never answers, waits until the call is out, stops the node. */
  private String startAnIntentThenStopTheNode() throws Exception {
    try (TestNode first = TestNode.start(dataDir, Map.of("troupe.llm.local.latency", "1h"))) {
      var r = first.post("/v1/intents", "{\"text\":\"What is 40 + 2?\"}");
      assertEquals(202, r.statusCode(), r.body());
      String id = TestNode.json(r).get("id").asText();
      TestProbe<Object> probe = TestProbe.create(first.running.system());
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
        var model = TestNode.json(first.get("/v1/intents/" + id)).at("/steps");
        assertEquals("running", TestNode.json(first.get("/v1/intents/" + id)).get("status").asText());
        assertTrue(model.size() >= 3, "the run has reached its model call");
        return null;
      });
      return id;
    }
  }

  private void assertSurvivesARestart(Map<String, Object> overrides) throws Exception {
    JsonNode before;
    try (TestNode first = TestNode.start(dataDir, overrides)) {
      var r = first.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 40 + 2?\"}");
      assertEquals(200, r.statusCode(), r.body());
      before = TestNode.json(r);
    }
    String id = before.get("id").asText();
    try (TestNode second = TestNode.start(dataDir, overrides)) {
      var r = second.get("/v1/intents/" + id);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode after = TestNode.json(r);
      assertEquals("succeeded", after.get("status").asText());
      assertEquals(before.get("status"), after.get("status"));
      assertEquals(before.get("outcome"), after.get("outcome"));
      assertEquals(before.get("text"), after.get("text"));
      assertEquals(before.get("steps"), after.get("steps"));
      assertEquals(before.get("createdAt"), after.get("createdAt"));
      assertEquals(before.get("finishedAt"), after.get("finishedAt"));
    }
  }

  /** PostgreSQL at 127.0.0.1:5432, or a skip with a reason; in CI its absence is a failure. */
  private static Connection postgresOrSkip() {
    try {
      return DriverManager.getConnection(PG_URL, "postgres", "");
    } catch (Exception e) {
      String reason = "PostgreSQL at 127.0.0.1:5432 is unreachable (" + e.getMessage() + ")";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(reason + "; CI needs it");
      }
      Assumptions.assumeTrue(false, reason + "; skipping");
      return null;
    }
  }
}
