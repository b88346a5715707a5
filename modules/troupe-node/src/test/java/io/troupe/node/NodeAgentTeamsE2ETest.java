package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents as tools and handoffs on a real node, over HTTP: a router agent calls two agents at once
 * (their child intents run concurrently, their spans nested under the router's tool calls), and
 * hands a conversation over to another agent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeAgentTeamsE2ETest {

  @TempDir
  static Path dataDir;

  private TestNode node;

  @BeforeAll
  void start() throws Exception {
    node = TestNode.start(dataDir, Map.of(
        // Each model call takes a while, so that the two children visibly run at the same time.
        "troupe.llm.local.latency", "300ms",
        "troupe.agents.math.description", "Does arithmetic",
        "troupe.agents.math.tools", List.of("calculator"),
        "troupe.agents.clock.description", "Tells the time",
        "troupe.agents.clock.tools", List.of("current_time"),
        "troupe.agents.router.description", "Sends each question to the agent that knows",
        "troupe.agents.router.tools", List.of(),
        "troupe.agents.router.agents", List.of("math", "clock"),
        "troupe.agents.router.handoffs", List.of("math")));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void twoAgentsCalledAsToolsRunAsConcurrentChildIntentsNestedInTheTrace() throws Exception {
    String text = "use agent_math with {\\\"input\\\":\\\"What is 6 * 7?\\\"} and use agent_clock with "
        + "{\\\"input\\\":\\\"What time is it in UTC?\\\"}";
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"" + text + "\",\"agent\":\"router\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertTrue(intent.at("/outcome/answer").asText().contains("42"), r.body());

    // The results come back in call order.
    List<String> tools = new ArrayList<>();
    intent.get("steps").forEach(s -> {
      if (s.get("kind").asText().equals("tool")) tools.add(s.get("name").asText());
    });
    assertEquals(2, tools.size(), r.body());
    assertTrue(tools.containsAll(List.of("agent_math", "agent_clock")), r.body());

    JsonNode trace = TestNode.json(node.get("/v1/intents/" + intent.get("id").asText() + "/trace"));
    JsonNode spans = trace.get("spans");
    JsonNode mathCall = span(spans, "tool agent_math");
    JsonNode clockCall = span(spans, "tool agent_clock");
    JsonNode math = span(spans, "agent math");
    JsonNode clock = span(spans, "agent clock");
    assertEquals(mathCall.get("spanId").asText(), math.get("parentSpanId").asText(), "the child under its call");
    assertEquals(clockCall.get("spanId").asText(), clock.get("parentSpanId").asText());
    assertEquals(trace.get("traceId").asText(), math.get("traceId").asText(), "one trace");

    // The children's own model and tool spans sit under them.
    assertTrue(children(spans, math.get("spanId").asText()).contains("tool calculator"), trace.toString());
    assertTrue(children(spans, math.get("spanId").asText()).contains("model chat"), trace.toString());
    assertTrue(children(spans, clock.get("spanId").asText()).contains("tool current_time"), trace.toString());

    // They ran at the same time: the two children's spans overlap.
    long mathStart = math.get("startTimeUnixNano").asLong();
    long mathEnd = math.get("endTimeUnixNano").asLong();
    long clockStart = clock.get("startTimeUnixNano").asLong();
    long clockEnd = clock.get("endTimeUnixNano").asLong();
    assertTrue(mathStart < clockEnd && clockStart < mathEnd, "overlapping children: " + trace);

    // Each child is an intent of its own, readable on its own.
    String childId = math.at("/attributes/troupe.intent.id").asText();
    JsonNode child = TestNode.json(node.get("/v1/intents/" + childId));
    assertEquals("succeeded", child.get("status").asText(), child.toString());
    assertEquals("math", child.get("agent").asText());
  }

  @Test
  void aHandoffSwitchesTheAgentAndShowsInTheTrace() throws Exception {
    String text = "use transfer_to_math with {\\\"input\\\":\\\"a sum\\\"}";
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"" + text + "\",\"agent\":\"router\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertEquals("math", intent.get("agent").asText(), "the agent that finished the run");

    JsonNode trace = TestNode.json(node.get("/v1/intents/" + intent.get("id").asText() + "/trace"));
    JsonNode handoff = span(trace.get("spans"), "handoff math");
    assertEquals("handoff", handoff.at("/attributes/troupe.step.kind").asText());
    assertEquals("router", handoff.at("/attributes/troupe.detail.from").asText());
    assertEquals("math", handoff.at("/attributes/troupe.detail.to").asText());
    // The model was asked again after it, by the new agent.
    long after = 0;
    for (JsonNode s : trace.get("spans")) {
      if (s.get("name").asText().equals("model chat")
          && s.get("startTimeUnixNano").asLong() >= handoff.get("endTimeUnixNano").asLong()) {
        after++;
      }
    }
    assertTrue(after >= 1, trace.toString());
  }

  @Test
  void theAgentsListNamesTheAgentsAnAgentCallsAndHandsOverTo() throws Exception {
    JsonNode agents = TestNode.json(node.get("/v1/agents")).get("agents");
    JsonNode router = null;
    for (JsonNode a : agents) {
      if (a.get("name").asText().equals("router")) router = a;
    }
    assertNotNull(router, agents.toString());
    assertEquals("[\"math\",\"clock\"]", router.get("agents").toString());
    assertEquals("[\"math\"]", router.get("handoffs").toString());
  }

  private static JsonNode span(JsonNode spans, String name) {
    for (JsonNode s : spans) {
      if (s.get("name").asText().equals(name)) return s;
    }
    assertNotNull(null, "no span '" + name + "' in " + spans);
    return null;
  }

  private static List<String> children(JsonNode spans, String parent) {
    List<String> out = new ArrayList<>();
    for (JsonNode s : spans) {
      if (parent.equals(s.path("parentSpanId").asText())) out.add(s.get("name").asText());
    }
    return out;
  }
}
