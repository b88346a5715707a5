package io.troupe.llm.anthropic;

import static io.troupe.llm.fake.ProviderTests.await;
import static io.troupe.llm.fake.ProviderTests.llm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.ToolSpec;
import io.troupe.llm.Providers;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Structured outputs over the Messages API, by forced tool use: a {@code final_answer} tool whose
 * {@code input_schema} is the schema, and {@code tool_choice}; its call's input comes back as the
 * answer. The transcripts are ours, shaped like the recorded ones (compact, keys as the API sends them).
 */
class AnthropicStructuredOutputTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final JsonNode SCHEMA = Json.parse("""
      {"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},
       "required":["city","population"]}""");

  FakeProviderServer fake;

  @BeforeEach
  void start() throws Exception {
    fake = FakeProviderServer.start(testKit.system());
  }

  @AfterEach
  void stop() throws Exception {
    fake.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  LlmProvider provider() throws Exception {
    Config llm = llm("anthropic { base-url = \"" + fake.baseUrl() + "\", api-key = \"sk-ant-test-structured\", model = claude-test }");
    return Providers.builtIn().get("anthropic").create(testKit.system(), llm);
  }

  static final String FINAL_ANSWER = "{\"content\":[{\"id\":\"toolu_01A09q90qw90lq917835lq9\",\"input\":{\"city\":\"Paris\","
      + "\"population\":2102650},\"name\":\"final_answer\",\"type\":\"tool_use\"}],\"id\":\"msg_01Aq9w938a90dw8q\","
      + "\"model\":\"claude-3-5-haiku-20241022\",\"role\":\"assistant\",\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
      + "\"type\":\"message\",\"usage\":{\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"input_tokens\":412,"
      + "\"output_tokens\":58,\"service_tier\":\"standard\"}}";

  @Test
  void withoutOtherToolsTheFinalAnswerToolIsForcedAndItsInputIsTheAnswer() throws Exception {
    fake.enqueue(Reply.json(200, FINAL_ANSWER));
    ChatRequest request = new ChatRequest(null, List.of(ChatMessage.system("Answer as JSON."),
        ChatMessage.user("Which city is the capital of France, and how many live there?")), List.of(), 300, true, null,
        null, 0.2, new ChatRequest.OutputFormat("city_facts", SCHEMA, false));

    ChatResponse r = await(provider().chat(request, d -> {}));

    JsonNode body = fake.lastRequest().json();
    assertEquals("final_answer", body.at("/tools/0/name").asText());
    assertEquals(SCHEMA, body.at("/tools/0/input_schema"));
    assertEquals(Json.parse("{\"type\":\"tool\",\"name\":\"final_answer\"}"), body.get("tool_choice"));
    assertEquals(0.2, body.get("temperature").asDouble());
    assertEquals(300, body.get("max_tokens").asInt());
    assertFalse(body.has("stream"), "a structured answer is read whole, never streamed");

    assertFalse(r.hasToolCalls(), "the forced call is the answer, not a tool to run");
    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(Json.parse("{\"city\":\"Paris\",\"population\":2102650}"), Json.parse(r.message().content()));
    assertEquals(412, r.usage().inputTokens());
  }

  @Test
  void withOtherToolsAnyToolIsForcedAndARealToolCallStaysACall() throws Exception {
    fake.enqueue(Reply.json(200, "{\"content\":[{\"text\":\"Let me compute that.\",\"type\":\"text\"},{\"id\":"
        + "\"toolu_01B\",\"input\":{\"expression\":\"2102650/105.4\"},\"name\":\"calculator\",\"type\":\"tool_use\"}],"
        + "\"id\":\"msg_01B\",\"model\":\"claude-3-5-haiku-20241022\",\"role\":\"assistant\",\"stop_reason\":\"tool_use\","
        + "\"stop_sequence\":null,\"type\":\"message\",\"usage\":{\"input_tokens\":450,\"output_tokens\":40}}"));
    ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user("Density of Paris?")),
        List.of(new ToolSpec("calculator", "arithmetic", Json.parse("{\"type\":\"object\"}"))), 0, false, null, null,
        null, new ChatRequest.OutputFormat("facts", SCHEMA, false));

    ChatResponse r = await(provider().chat(request, d -> {}));

    JsonNode body = fake.lastRequest().json();
    assertEquals(List.of("calculator", "final_answer"),
        List.of(body.at("/tools/0/name").asText(), body.at("/tools/1/name").asText()));
    assertEquals("any", body.at("/tool_choice/type").asText());
    assertTrue(r.hasToolCalls());
    assertEquals("calculator", r.message().toolCalls().get(0).name());
  }
}
