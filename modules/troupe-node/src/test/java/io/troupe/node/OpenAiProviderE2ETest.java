package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real node, in this JVM, with {@code troupe.llm.provider = openai} pointed at a fake OpenAI
 * server on loopback (troupe-llm's test server, streaming SSE): one intent over HTTP runs two
 * parallel tool calls through the real tool registry, then the model answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiProviderE2ETest {
  static final String KEY = "sk-node-e2e-SECRET-5d1e0c7b9a";

  @TempDir
  static Path dataDir;

  private ActorTestKit fakeSystem;
  private FakeProviderServer fake;
  private TestNode node;

  @BeforeAll
  void start() throws Exception {
    // The fake lives in an actor system of its own, outside the node (plain local Pekko, no application.conf).
    fakeSystem = ActorTestKit.create("fake-openai",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.defaultReference()));
    fake = FakeProviderServer.start(fakeSystem.system());
    node = TestNode.start(dataDir, Map.of(
        "troupe.llm.provider", "openai",
        "troupe.llm.model", "gpt-e2e",
        "troupe.llm.stream", true,
        "troupe.agent.stream", true,
        "troupe.llm.openai.base-url", fake.baseUrl() + "/v1",
        "troupe.llm.openai.api-key", KEY,
        "troupe.llm.resilience.retry.initial-backoff", "20ms"));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) node.close();
    if (fake != null) fake.close();
    if (fakeSystem != null) fakeSystem.shutdownTestKit();
  }

  static String chunk(String delta, String finish) {
    return "data: {\"id\":\"chatcmpl-e2e\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-e2e\",\"choices\":[{\"index\":0,"
        + "\"delta\":" + delta + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
  }

  static String toolFragment(int index, String id, String name, String args) {
    String head = id == null ? "" : "\"id\":\"" + id + "\",\"type\":\"function\",";
    String fn = (name == null ? "" : "\"name\":\"" + name + "\",") + "\"arguments\":" + Json.write(args);
    return chunk("{\"tool_calls\":[{\"index\":" + index + "," + head + "\"function\":{" + fn + "}}]}", null);
  }

  static String usage(int in, int out) {
    return "data: {\"id\":\"chatcmpl-e2e\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-e2e\",\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":" + in + ",\"completion_tokens\":" + out + "}}\n\n";
  }

  static final String DONE = "data: [DONE]\n\n";

  @Test
  void anIntentOverHttpRunsTwoParallelToolCallsThroughTheOpenAiProvider() throws Exception {
    fake.enqueue(
        Reply.sse(List.of(chunk("{\"role\":\"assistant\",\"content\":null}", null),
            toolFragment(0, "call_calc", "calculator", "{\"expression\":"),
            toolFragment(1, "call_time", "current_time", "{\"timezone\":"),
            toolFragment(0, null, null, "\"2340 * 0.17\"}"),
            toolFragment(1, null, null, "\"UTC\"}"),
            chunk("{}", "tool_calls"), usage(120, 30), DONE)),
        Reply.sse(List.of(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
            chunk("{\"content\":\"17% of 2,340 is \"}", null), chunk("{\"content\":\"397.8.\"}", null),
            chunk("{}", "stop"), usage(200, 10), DONE)));

    var r = node.post("/v1/intents?wait=true&timeoutMs=30000", "{\"text\":\"What is 17% of 2,340 and what time is it in UTC?\"}");

    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertEquals("17% of 2,340 is 397.8.", intent.at("/outcome/answer").asText());
    assertEquals(320, intent.at("/usage/inputTokens").asLong(), r.body());
    assertEquals(40, intent.at("/usage/outputTokens").asLong(), r.body());
    assertEquals(2, intent.at("/usage/modelCalls").asInt());
    assertEquals(2, intent.at("/usage/toolCalls").asInt());

    // The fake saw two streamed Chat Completions requests with the key; the second carries the real tools' results.
    assertEquals(2, fake.requestCount());
    for (var req : fake.requests()) {
      assertEquals("/v1/chat/completions", req.path());
      assertEquals("Bearer " + KEY, req.headers().get("authorization"));
      assertEquals("gpt-e2e", req.json().get("model").asText());
      assertTrue(req.json().get("stream").asBoolean());
    }
    JsonNode messages = fake.requests().get(1).json().get("messages");
    int n = messages.size();
    assertEquals(List.of("call_calc", "call_time"),
        List.of(messages.get(n - 2).get("tool_call_id").asText(), messages.get(n - 1).get("tool_call_id").asText()));
    assertTrue(messages.get(n - 2).get("content").asText().contains("397.8"), messages.get(n - 2).toString());
    assertEquals("UTC", Json.parse(messages.get(n - 1).get("content").asText()).get("timezone").asText());

    // The trace: two model spans and the two tool spans, which overlap (they ran concurrently).
    var t = node.get("/v1/intents/" + intent.get("id").asText() + "/trace");
    assertEquals(200, t.statusCode(), t.body());
    JsonNode spans = TestNode.json(t).get("spans");
    List<String> names = new ArrayList<>();
    spans.forEach(s -> names.add(s.get("name").asText()));
    assertEquals(2, names.stream().filter(s -> s.startsWith("model")).count(), names.toString());
    JsonNode calc = span(spans, "tool calculator");
    JsonNode time = span(spans, "tool current_time");
    assertTrue(calc.get("startTimeUnixNano").asLong() < time.get("endTimeUnixNano").asLong()
        && time.get("startTimeUnixNano").asLong() < calc.get("endTimeUnixNano").asLong(), "tool spans overlap");
    JsonNode model = span(spans, "model chat");
    assertEquals("chat", model.at("/attributes/gen_ai.operation.name").asText());

    // The key is nowhere in what the node serves.
    assertFalse(r.body().contains(KEY));
    assertFalse(t.body().contains(KEY));
  }

  private static JsonNode span(JsonNode spans, String name) {
    for (JsonNode s : spans) {
      if (s.get("name").asText().equals(name)) return s;
    }
    throw new AssertionError("no span '" + name + "' in " + spans);
  }
}
