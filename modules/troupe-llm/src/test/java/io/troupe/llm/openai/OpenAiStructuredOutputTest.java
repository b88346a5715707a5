package io.troupe.llm.openai;

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
 * Structured outputs over the Chat Completions wire: {@code response_format} with {@code json_schema}
 * out, the JSON answer in {@code message.content} back. The transcript is ours, shaped like the
 * recorded ones (pydantic-ai's gpt-4o cassettes): the same fields, unknown ones included.
 */
class OpenAiStructuredOutputTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final JsonNode SCHEMA = Json.parse("""
      {"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},
       "required":["city","population"],"additionalProperties":false}""");

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
    Config llm = llm("openai { base-url = \"" + fake.baseUrl() + "/v1\", api-key = \"sk-test-structured\", model = gpt-4o-mini }");
    return Providers.builtIn().get("openai").create(testKit.system(), llm);
  }

  static final String TRANSCRIPT = """
      {
        "id": "chatcmpl-BX2kR7hYq1s0GQwQ1tX3e9yLmNoPq",
        "object": "chat.completion",
        "created": 1747163252,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
          {
            "index": 0,
            "message": {
              "role": "assistant",
              "content": "{\\"city\\":\\"Paris\\",\\"population\\":2102650}",
              "refusal": null,
              "annotations": []
            },
            "logprobs": null,
            "finish_reason": "stop"
          }
        ],
        "usage": {
          "prompt_tokens": 71,
          "completion_tokens": 12,
          "total_tokens": 83,
          "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
          "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_0392822090"
      }""";

  @Test
  void theRequestCarriesResponseFormatJsonSchemaAndTheAnswerIsTheJson() throws Exception {
    fake.enqueue(Reply.json(200, TRANSCRIPT));
    ChatRequest request = new ChatRequest(null, List.of(ChatMessage.system("Answer as JSON."),
        ChatMessage.user("Which city is the capital of France, and how many live there?")),
        List.of(new ToolSpec("calculator", "arithmetic", Json.object().put("type", "object"))), 0, true, null,
        null, 0.0, new ChatRequest.OutputFormat("city_facts", SCHEMA, true));

    ChatResponse r = await(provider().chat(request, d -> {}));

    JsonNode body = fake.lastRequest().json();
    assertEquals("json_schema", body.at("/response_format/type").asText());
    assertEquals("city_facts", body.at("/response_format/json_schema/name").asText());
    assertTrue(body.at("/response_format/json_schema/strict").asBoolean());
    assertEquals(SCHEMA, body.at("/response_format/json_schema/schema"));
    assertEquals(0.0, body.get("temperature").asDouble());
    assertEquals("calculator", body.at("/tools/0/function/name").asText(), "tools stay available");
    assertFalse(body.has("stream"), "a structured answer is read whole, never streamed");

    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(Json.parse("{\"city\":\"Paris\",\"population\":2102650}"), Json.parse(r.message().content()));
    assertEquals(71, r.usage().inputTokens());
  }

  @Test
  void aSchemaStrictModeDoesNotAcceptIsSentWithoutStrictAndAnOddNameIsReplaced() throws Exception {
    fake.enqueue(Reply.json(200, TRANSCRIPT));
    ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user("x")), List.of(), 0, false, null, null, null,
        new ChatRequest.OutputFormat("not a name!", Json.parse("{\"type\":\"object\"}"), false));
    await(provider().chat(request, d -> {}));
    JsonNode body = fake.lastRequest().json();
    assertFalse(body.at("/response_format/json_schema/strict").asBoolean());
    assertEquals("output", body.at("/response_format/json_schema/name").asText());
    assertFalse(body.has("temperature"), "no temperature: the provider's default");
  }
}
