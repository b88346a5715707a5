package io.troupe.llm.anthropic;

import static io.troupe.llm.fake.ProviderTests.await;
import static io.troupe.llm.fake.ProviderTests.failure;
import static io.troupe.llm.fake.ProviderTests.llm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure.Code;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.llm.LlmException;
import io.troupe.llm.Providers;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import io.troupe.llm.fake.ProviderTests;
import io.troupe.llm.http.RateLimitInfo;
import io.troupe.llm.resilience.RateLimitReporting;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AnthropicProviderTest {
  static final String KEY = "sk-ant-api03-test-SECRET-0123456789";
  static final ActorTestKit testKit = ActorTestKit.create();

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

  LlmProvider provider(String extra) throws Exception {
    Config llm = llm("anthropic { base-url = \"" + fake.baseUrl() + "\", api-key = \"" + KEY + "\", model = claude-test }\n" + extra);
    return Providers.builtIn().get("anthropic").create(testKit.system(), llm);
  }

  static ChatRequest ask(String text, boolean stream) {
    return new ChatRequest(null, List.of(ChatMessage.user(text)), List.of(), 0, stream);
  }

  static String event(String type, String json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
  }

  static final String START = event("message_start",
      "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-test-2025\",\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":17,\"cache_read_input_tokens\":3,\"output_tokens\":1,\"service_tier\":\"standard\"}}}   ");
  static final String PING = event("ping", "{\"type\": \"ping\"}");
  static final String STOP = event("message_stop", "{\"type\":\"message_stop\"}");

  static String textStart(int index) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index + ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  }

  static String textDelta(int index, String text) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + Json.write(text) + "}}");
  }

  static String blockStop(int index) {
    return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
  }

  static String messageDelta(String stop, int outputTokens) {
    return event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + stop
        + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + outputTokens + "}}");
  }

  static String toolStart(int index, String id, String name) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
        + ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"input\":{}}}");
  }

  static String inputDelta(int index, String partial) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":" + Json.write(partial) + "}}");
  }

  @Test
  void answersTextWithUsageAndIgnoresUnknownBlocks() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"content":[{"type":"thinking","thinking":"hmm","signature":"x"},{"text":"The capital of France is Paris.","type":"text"},
                    {"type":"some_future_block","x":1}],
         "id":"msg_01","model":"claude-test-2025","role":"assistant","stop_reason":"end_turn","stop_sequence":null,"type":"message",
         "usage":{"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"input_tokens":20,"output_tokens":10,"service_tier":"standard"},
         "new_top_level":{"a":1}}"""));

    ChatResponse r = await(provider("").chat(ask("capital of France?", false), d -> {}));

    assertEquals("The capital of France is Paris.", r.message().content());
    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(20, r.usage().inputTokens());
    assertEquals(10, r.usage().outputTokens());
    assertEquals("claude-test-2025", r.model());
    FakeProviderServer.Recorded req = fake.lastRequest();
    assertEquals("/v1/messages", req.path());
    assertEquals(KEY, req.headers().get("x-api-key"));
    assertEquals("2023-06-01", req.headers().get("anthropic-version"));
    assertFalse(req.headers().containsKey("authorization"));
    assertEquals("claude-test", req.json().get("model").asText());
    assertEquals(1024, req.json().get("max_tokens").asInt());
  }

  @Test
  void answersTwoToolUses() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"content":[{"type":"text","text":"Let me check."},
                    {"type":"tool_use","id":"toolu_A","name":"add","input":{"a":1,"b":2}},
                    {"type":"tool_use","id":"toolu_B","name":"time_in","input":{"zone":"UTC"}}],
         "model":"claude-test","stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":6}}"""));

    ChatResponse r = await(provider("").chat(ask("add and time", false), d -> {}));

    assertEquals(FinishReason.TOOL_CALLS, r.finishReason());
    assertEquals("Let me check.", r.message().content());
    assertEquals(List.of(
        new ToolCall("toolu_A", "add", Json.MAPPER.readTree("{\"a\":1,\"b\":2}")),
        new ToolCall("toolu_B", "time_in", Json.MAPPER.readTree("{\"zone\":\"UTC\"}"))), r.message().toolCalls());
  }

  @Test
  void sendsSystemToolUseAndToolResultsInAnthropicFormatMergingRoles() throws Exception {
    fake.enqueue(Reply.json(200, "{\"content\":[{\"type\":\"text\",\"text\":\"3 at 12:00\"}],\"stop_reason\":\"end_turn\",\"usage\":{}}"));
    JsonNode schema = Json.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}");
    ChatRequest request = new ChatRequest(null, List.of(
        ChatMessage.system("be brief"),
        ChatMessage.system("use tools"),
        ChatMessage.user("add and time"),
        ChatMessage.assistantToolCalls("", List.of(
            new ToolCall("toolu_A", "add", Json.MAPPER.readTree("{\"a\":1,\"b\":2}")),
            new ToolCall("toolu_B", "time_in", Json.MAPPER.readTree("{\"zone\":\"UTC\"}")))),
        ChatMessage.toolResult("toolu_A", "add", "3"),
        ChatMessage.toolResult("toolu_B", "time_in", "12:00"),
        ChatMessage.user("[guardrail] rejected: be nicer")),
        List.of(new ToolSpec("add", "adds", schema), new ToolSpec("time_in", null, null)), 300, false);

    await(provider("").chat(request, d -> {}));

    JsonNode body = fake.lastRequest().json();
    assertEquals("be brief\n\nuse tools", body.get("system").asText());
    assertEquals(300, body.get("max_tokens").asInt());
    JsonNode messages = body.get("messages");
    assertEquals(3, messages.size(), messages.toString());
    assertEquals("user", messages.get(0).get("role").asText());
    assertEquals("text", messages.get(0).get("content").get(0).get("type").asText());
    JsonNode assistant = messages.get(1);
    assertEquals("assistant", assistant.get("role").asText());
    assertEquals(2, assistant.get("content").size()); // no empty text block
    assertEquals("tool_use", assistant.get("content").get(0).get("type").asText());
    assertEquals("toolu_A", assistant.get("content").get(0).get("id").asText());
    assertEquals(2, assistant.get("content").get(0).get("input").get("b").asInt());
    JsonNode results = messages.get(2);
    assertEquals("user", results.get("role").asText());
    assertEquals(3, results.get("content").size());
    assertEquals("tool_result", results.get("content").get(0).get("type").asText());
    assertEquals("toolu_A", results.get("content").get(0).get("tool_use_id").asText());
    assertEquals("3", results.get("content").get(0).get("content").asText());
    assertEquals("toolu_B", results.get("content").get(1).get("tool_use_id").asText());
    assertEquals("text", results.get("content").get(2).get("type").asText());
    JsonNode tools = body.get("tools");
    assertEquals("add", tools.get(0).get("name").asText());
    assertEquals(schema, tools.get(0).get("input_schema"));
    assertEquals("object", tools.get(1).get("input_schema").get("type").asText());
  }

  @Test
  void streamsTextDeltasIgnoringPingsAndUnknownEvents() throws Exception {
    String delta = textDelta(0, " Captain");
    fake.enqueue(Reply.sse(List.of(
        START, textStart(0), PING,
        textDelta(0, "-"), delta.substring(0, 30), delta.substring(30),
        event("brand_new_event", "{\"type\":\"brand_new_event\",\"x\":1}"),
        event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"),
        event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}"),
        textDelta(0, "\n- Scoop"), blockStop(0), messageDelta("end_turn", 10), STOP)));
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    ChatResponse r = await(provider("").chat(ask("names", true), deltas::add));

    assertEquals(List.of("-", " Captain", "\n- Scoop"), deltas.stream().map(ChatDelta::text).toList());
    assertEquals("- Captain\n- Scoop", r.message().content());
    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(20, r.usage().inputTokens());
    assertEquals(10, r.usage().outputTokens());
    assertEquals("claude-test-2025", r.model());
    assertTrue(fake.lastRequest().json().get("stream").asBoolean());
  }

  @Test
  void streamsTwoToolUsesWithFragmentedInput() throws Exception {
    fake.enqueue(Reply.sse(List.of(
        START, textStart(0), textDelta(0, "Checking."), blockStop(0),
        toolStart(1, "toolu_A", "add"), inputDelta(1, ""), inputDelta(1, "{\"a\":1,"), inputDelta(1, "\"b\":2}"), blockStop(1),
        toolStart(2, "toolu_B", "time_in"), inputDelta(2, "{\"zo"), inputDelta(2, "ne\":\"UTC\"}"), blockStop(2),
        toolStart(3, "toolu_C", "no_args"), blockStop(3),
        messageDelta("tool_use", 40), STOP)));
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    ChatResponse r = await(provider("").chat(ask("add and time", true), deltas::add));

    assertEquals(FinishReason.TOOL_CALLS, r.finishReason());
    assertEquals(List.of(
        new ToolCall("toolu_A", "add", Json.MAPPER.readTree("{\"a\":1,\"b\":2}")),
        new ToolCall("toolu_B", "time_in", Json.MAPPER.readTree("{\"zone\":\"UTC\"}")),
        new ToolCall("toolu_C", "no_args", Json.object())), r.message().toolCalls());
    assertEquals("Checking.", r.message().content());
    ChatDelta firstB = deltas.stream().filter(d -> "toolu_B".equals(d.toolCallId())).findFirst().orElseThrow();
    assertEquals(1, firstB.toolCallIndex());
    assertEquals("time_in", firstB.toolName());
    String argsB = deltas.stream().filter(d -> Integer.valueOf(1).equals(d.toolCallIndex())).map(ChatDelta::argumentsFragment).reduce("", String::concat);
    assertEquals("{\"zone\":\"UTC\"}", argsB);
  }

  // ---- errors ----

  @Test
  void mapsHttpErrorsToTypedFailures() throws Exception {
    LlmProvider p = provider("");
    fake.enqueue(
        Reply.json(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}"),
        Reply.json(400, "{\"error\":{\"message\":\"This model does not support effort level 'xhigh'.\",\"type\":\"invalid_request_error\"},\"request_id\":\"req_1\",\"type\":\"error\"}"),
        Reply.json(429, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}")
            .header("retry-after", "12").header("anthropic-ratelimit-requests-remaining", "0")
            .header("anthropic-ratelimit-tokens-reset", "2026-02-17T23:44:11Z"),
        Reply.json(500, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}"),
        Reply.json(529, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"),
        Reply.json(404, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: claude-nope\"}}"));

    LlmException auth = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.AUTHENTICATION, auth.code());
    assertTrue(auth.getMessage().contains("invalid x-api-key"), auth.getMessage());
    LlmException invalid = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.INVALID_REQUEST, invalid.code());
    assertTrue(invalid.getMessage().contains("does not support effort level 'xhigh'"), invalid.getMessage());
    LlmException limited = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.RATE_LIMITED, limited.code());
    assertEquals(Duration.ofSeconds(12), limited.retryAfter().orElseThrow());
    assertEquals(0, limited.rateLimit().number("anthropic-ratelimit-requests-remaining").orElseThrow());
    assertEquals("2026-02-17T23:44:11Z", limited.rateLimit().headers().get("anthropic-ratelimit-tokens-reset"));
    LlmException server = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.PROVIDER_ERROR, server.code());
    LlmException overloaded = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.OVERLOADED, overloaded.code(), overloaded.getMessage());
    assertEquals(529, overloaded.status());
    assertTrue(overloaded.getMessage().contains("Overloaded"));
    assertEquals(Code.MODEL_NOT_FOUND, failure(p.chat(ask("x", false), d -> {})).code());
    assertEquals(6, fake.requestCount());
  }

  @Test
  void anOverloadedErrorEventMidStreamIsTypedAndSaysContentWasDelivered() throws Exception {
    fake.enqueue(Reply.sse(List.of(START, textStart(0), textDelta(0, "Hi"),
        event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"))));

    LlmException e = failure(provider("").chat(ask("x", true), d -> {}));

    assertEquals(Code.OVERLOADED, e.code());
    assertTrue(e.contentDelivered());
  }

  @Test
  void anOverloadedErrorEventBeforeContentMayBeRetried() throws Exception {
    fake.enqueue(Reply.sse(List.of(
        event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"))));

    LlmException e = failure(provider("").chat(ask("x", true), d -> {}));

    assertEquals(Code.OVERLOADED, e.code());
    assertFalse(e.contentDelivered());
  }

  @Test
  void aStreamCutBeforeMessageStopFails() throws Exception {
    fake.enqueue(Reply.sse(List.of(START, textStart(0), textDelta(0, "Hi"), blockStop(0), messageDelta("end_turn", 2))));

    LlmException e = failure(provider("").chat(ask("x", true), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.getMessage().contains("message_stop"), e.getMessage());
    assertTrue(e.contentDelivered());
  }

  @Test
  void aConnectionResetMidStreamFails() throws Exception {
    fake.enqueue(Reply.sse(List.of(START, textStart(0), textDelta(0, "Hi"))).thenReset());

    LlmException e = failure(provider("").chat(ask("x", true), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.contentDelivered());
    assertEquals(1, fake.requestCount());
  }

  @Test
  void aMalformedEventFails() throws Exception {
    fake.enqueue(Reply.sse(List.of(START, event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"), STOP)));

    LlmException e = failure(provider("").chat(ask("x", true), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
  }

  @Test
  void cancellingAStreamAbortsTheRequest() throws Exception {
    LlmProvider p = provider("anthropic.http.max-connections = 1");
    fake.enqueue(Reply.sse(List.of(START, textStart(0), textDelta(0, "Hi"))).thenHang());
    CompletableFuture<ChatDelta> first = new CompletableFuture<>();
    CompletionStage<ChatResponse> call = p.chat(ask("x", true), first::complete);
    first.get(10, TimeUnit.SECONDS);

    call.toCompletableFuture().cancel(true);

    fake.streamEnded(0).get(10, TimeUnit.SECONDS);
    fake.enqueue(Reply.json(200, "{\"content\":[{\"type\":\"text\",\"text\":\"next\"}],\"stop_reason\":\"end_turn\"}"));
    assertEquals("next", await(p.chat(ask("again", false), d -> {})).message().content());
    assertEquals(2, fake.requestCount());
  }

  @Test
  void reportsRateLimitHeadersOfSuccessfulResponses() throws Exception {
    LlmProvider p = provider("");
    List<RateLimitInfo> seen = new CopyOnWriteArrayList<>();
    ((RateLimitReporting) p).onRateLimits(seen::add);
    fake.enqueue(Reply.json(200, "{\"content\":[],\"stop_reason\":\"end_turn\"}")
        .header("anthropic-ratelimit-requests-limit", "50").header("anthropic-ratelimit-requests-remaining", "49"));

    await(p.chat(ask("x", false), d -> {}));

    assertEquals(49, seen.get(0).number("anthropic-ratelimit-requests-remaining").orElseThrow());
  }

  @Test
  void theKeyNeverReachesAnExceptionOrALog() throws Exception {
    LlmProvider p = provider("");
    fake.enqueue(Reply.json(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"bad key " + KEY + "\"}}"),
        Reply.sse(List.of(START, textStart(0), textDelta(0, "x"))).thenReset());
    var events = ProviderTests.captureLogs(() -> {
      for (int i = 0; i < 2; i++) {
        LlmException e = failure(p.chat(ask("x", i == 1), d -> {}));
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
      }
    });
    for (var e : events) {
      assertFalse(ProviderTests.everything(e).contains(KEY), ProviderTests.everything(e));
    }
  }

  @Test
  void startingWithoutAKeyFailsWithAClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Providers.builtIn().get("anthropic").create(testKit.system(), llm("anthropic.api-key = \"\"")));
    assertTrue(e.getMessage().contains("ANTHROPIC_API_KEY"), e.getMessage());
  }

  @Test
  void aBaseUrlWithV1IsAcceptedToo() throws Exception {
    fake.enqueue(Reply.json(200, "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"stop_reason\":\"end_turn\"}"));
    LlmProvider p = Providers.builtIn().get("anthropic").create(testKit.system(),
        llm("anthropic { base-url = \"" + fake.baseUrl() + "/v1/\", api-key = \"" + KEY + "\" }"));

    assertEquals("ok", await(p.chat(ask("x", false), d -> {})).message().content());
    assertEquals("/v1/messages", fake.lastRequest().path());
  }
}
