package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A real node with a named agent that has an output schema, over HTTP, on the built-in local model. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeAgentsE2ETest {

  static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"},"
      + "\"result\":{\"type\":\"number\"}},\"required\":[\"answer\",\"result\"],\"additionalProperties\":false}";

  @TempDir
  static Path dataDir;

  private TestNode node;

  @BeforeAll
  void start() throws Exception {
    node = TestNode.start(dataDir, Map.of(
        "troupe.agents.report.description", "Answers arithmetic as JSON",
        "troupe.agents.report.instructions", "You calculate, and answer as JSON.",
        "troupe.agents.report.tools", List.of("calculator"),
        "troupe.agents.report.output-schema", SCHEMA,
        "troupe.agents.report.max-steps", 4));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void anIntentForAnAgentWithAnOutputSchemaAnswersValidJsonInOutcomeOutput() throws Exception {
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000",
        "{\"text\":\"What is 17% of 2,340 and what time is it in UTC?\",\"agent\":\"report\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertEquals("report", intent.get("agent").asText(), "the resource names its agent");
    JsonNode output = intent.at("/outcome/output");
    assertTrue(output.isObject(), r.body());
    assertTrue(output.get("answer").asText().contains("397.8"), output.toString());
    assertEquals(397.8, output.get("result").asDouble(), 1e-9, output.toString());
    assertEquals(output, TestNode.json(node.get("/v1/intents/" + intent.get("id").asText())).at("/outcome/output"),
        "the resource keeps it");
    // Its tool list holds: current_time was never offered, so only the calculator ran.
    List<String> tools = new java.util.ArrayList<>();
    intent.get("steps").forEach(s -> { if (s.get("kind").asText().equals("tool")) tools.add(s.get("name").asText()); });
    assertEquals(List.of("calculator"), tools, r.body());
    assertTrue(intent.get("steps").toString().contains("output_schema"), "the validation is a step");
  }

  @Test
  void theDefaultAgentStillAnswersTextAndAgentsAreListed() throws Exception {
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 2 + 2?\"}");
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertFalse(intent.at("/outcome").has("output"), r.body());
    assertEquals("default", intent.get("agent").asText());

    JsonNode agents = TestNode.json(node.get("/v1/agents")).get("agents");
    assertEquals("default", agents.at("/0/name").asText());
    assertEquals("report", agents.at("/1/name").asText());
    assertEquals("local", agents.at("/1/model/provider").asText());
    assertEquals("calculator", agents.at("/1/tools/0").asText());
    assertEquals("number", agents.at("/1/outputSchema/properties/result/type").asText());

    var unknown = node.post("/v1/intents", "{\"text\":\"hi\",\"agent\":\"nope\"}");
    assertEquals(400, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("the agents are default, report"), unknown.body());
  }
}
