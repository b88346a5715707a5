package io.troupe.llm.openai;

import static io.troupe.llm.fake.ProviderTests.await;
import static io.troupe.llm.fake.ProviderTests.failure;
import static io.troupe.llm.fake.ProviderTests.llm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

class OpenAiProviderTest {
  static final String KEY = "sk-test-0123456789abcdefSECRET";
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
    Config llm = llm("openai { base-url = \"" + fake.baseUrl() + "/v1\", api-key = \"" + KEY + "\", model = gpt-test }\n" + extra);
    return Providers.builtIn().get("openai").create(testKit.system(), llm);
  }

  static ChatRequest ask(String text, boolean stream) {
    return new ChatRequest(null, List.of(ChatMessage.user(text)), List.of(), 0, stream);
  }

  static String data(String json) {
    return "data: " + json + "\n\n";
  }

  /** A chunk with one choice; {@code delta} is JSON; an unknown field rides along. */
  static String chunk(String delta, String finish) {
    return data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-test-2025\",\"obfuscation\":\"xyz\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"") + "}],\"usage\":null}");
  }

  static final String USAGE_CHUNK = data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
      + "\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":7,\"total_tokens\":38,\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");
  static final String DONE = "data: [DONE]\n\n";

  @Test
  void answersTextWithUsageAndIgnoresUnknownFields() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-test-2025","service_tier":"default",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","refusal":null,"annotations":[],"audio":{"x":1}},
                     "logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0}},
         "brand_new_field":[1,2,3]}"""));

    ChatResponse r = await(provider("").chat(ask("capital of France?", false), d -> {}));

    assertEquals("Paris.", r.message().content());
    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(12, r.usage().inputTokens());
    assertEquals(3, r.usage().outputTokens());
    assertEquals("gpt-test-2025", r.model());
    assertEquals("openai", r.provider());
    FakeProviderServer.Recorded req = fake.lastRequest();
    assertEquals("POST", req.method());
    assertEquals("/v1/chat/completions", req.path());
    assertEquals("Bearer " + KEY, req.headers().get("authorization"));
    assertTrue(req.headers().get("content-type").startsWith("application/json"));
    assertEquals("gpt-test", req.json().get("model").asText());
    assertFalse(req.json().has("stream"));
    assertEquals(1, fake.requestCount());
    assertNull(req.headers().get("traceparent"), "no trace context was given");
  }

  @Test
  void theModelCallsTraceContextGoesOnAsATraceparentHeader() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"id":"c","object":"chat.completion","model":"gpt-test","choices":[{"index":0,
         "message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"""));
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await(provider("").chat(new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, false, traceparent),
        d -> {}));
    assertEquals(traceparent, fake.lastRequest().headers().get("traceparent"));
  }

  @Test
  void answersTwoParallelToolCalls() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"id":"c","model":"gpt-test","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
          "tool_calls":[
            {"id":"call_A","type":"function","function":{"name":"add","arguments":"{\\"a\\":1,\\"b\\":2}"}},
            {"id":"call_B","type":"function","function":{"name":"time_in","arguments":"{\\"zone\\":\\"UTC\\"}"}}]}}],
         "usage":{"prompt_tokens":50,"completion_tokens":20}}"""));

    ChatResponse r = await(provider("").chat(ask("add and time", false), d -> {}));

    assertEquals(FinishReason.TOOL_CALLS, r.finishReason());
    List<ToolCall> calls = r.message().toolCalls();
    assertEquals(2, calls.size());
    assertEquals("call_A", calls.get(0).id());
    assertEquals("add", calls.get(0).name());
    assertEquals(2, calls.get(0).arguments().get("b").asInt());
    assertEquals("call_B", calls.get(1).id());
    assertEquals("UTC", calls.get(1).arguments().get("zone").asText());
    assertEquals("", r.message().content());
  }

  @Test
  void sendsToolCallsAndResultsBackInOpenAiFormat() throws Exception {
    fake.enqueue(Reply.json(200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"3 at 12:00\"}}]}"));
    JsonNode schema = Json.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}");
    ChatRequest request = new ChatRequest("gpt-other", List.of(
        ChatMessage.system("be brief"),
        ChatMessage.user("add and time"),
        ChatMessage.assistantToolCalls("", List.of(
            new ToolCall("call_A", "add", Json.MAPPER.readTree("{\"a\":1,\"b\":2}")),
            new ToolCall("call_B", "time_in", Json.MAPPER.readTree("{\"zone\":\"UTC\"}")))),
        ChatMessage.toolResult("call_A", "add", "3"),
        ChatMessage.toolResult("call_B", "time_in", "12:00")),
        List.of(new ToolSpec("add", "adds", schema)), 256, false);

    await(provider("").chat(request, d -> {}));

    JsonNode body = fake.lastRequest().json();
    assertEquals("gpt-other", body.get("model").asText());
    assertEquals(256, body.get("max_tokens").asInt());
    JsonNode messages = body.get("messages");
    assertEquals(5, messages.size());
    assertEquals("system", messages.get(0).get("role").asText());
    assertEquals("be brief", messages.get(0).get("content").asText());
    JsonNode assistant = messages.get(2);
    assertEquals("assistant", assistant.get("role").asText());
    assertTrue(assistant.get("content").isNull());
    assertEquals("call_A", assistant.get("tool_calls").get(0).get("id").asText());
    assertEquals("function", assistant.get("tool_calls").get(0).get("type").asText());
    assertEquals("add", assistant.get("tool_calls").get(0).get("function").get("name").asText());
    assertEquals(Json.MAPPER.readTree("{\"a\":1,\"b\":2}"),
        Json.MAPPER.readTree(assistant.get("tool_calls").get(0).get("function").get("arguments").asText()));
    assertEquals("call_B", assistant.get("tool_calls").get(1).get("id").asText());
    assertEquals("tool", messages.get(3).get("role").asText());
    assertEquals("call_A", messages.get(3).get("tool_call_id").asText());
    assertEquals("3", messages.get(3).get("content").asText());
    assertEquals("call_B", messages.get(4).get("tool_call_id").asText());
    JsonNode tool = body.get("tools").get(0);
    assertEquals("function", tool.get("type").asText());
    assertEquals("add", tool.get("function").get("name").asText());
    assertEquals(schema, tool.get("function").get("parameters"));
  }

  @Test
  void streamsTextDeltasAsTheyArriveEvenWhenChunksCutEvents() throws Exception {
    String hello = chunk("{\"content\":\"Hel\"}", null);
    fake.enqueue(Reply.sse(List.of(
        ": keep-alive comment\n\n",
        chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", null),
        hello.substring(0, 25), hello.substring(25),
        chunk("{\"content\":\"lo wörld\"}", null) + chunk("{\"content\":\"!\"}", null),
        "event: unknown-kind\ndata: {\"whatever\":true}\n\n",
        chunk("{}", "stop"), USAGE_CHUNK, DONE)));
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    ChatResponse r = await(provider("").chat(ask("hi", true), deltas::add));

    assertEquals(List.of("Hel", "lo wörld", "!"), deltas.stream().map(ChatDelta::text).toList());
    assertEquals("Hello wörld!", r.message().content());
    assertEquals(FinishReason.STOP, r.finishReason());
    assertEquals(31, r.usage().inputTokens());
    assertEquals(7, r.usage().outputTokens());
    assertEquals("gpt-test-2025", r.model());
    JsonNode body = fake.lastRequest().json();
    assertTrue(body.get("stream").asBoolean());
    assertTrue(body.get("stream_options").get("include_usage").asBoolean());
  }

  @Test
  void streamsTwoParallelToolCallsWithFragmentedArguments() throws Exception {
    fake.enqueue(Reply.sse(List.of(
        chunk("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"add\",\"arguments\":\"\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"time_in\",\"arguments\":\"{\\\"zo\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1,\\\"b\\\":2}\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"ne\\\":\\\"UTC\\\"}\"}}]}", null),
        chunk("{}", "tool_calls"), USAGE_CHUNK, DONE)));
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    ChatResponse r = await(provider("").chat(ask("add and time", true), deltas::add));

    assertEquals(FinishReason.TOOL_CALLS, r.finishReason());
    List<ToolCall> calls = r.message().toolCalls();
    assertEquals(2, calls.size());
    assertEquals(new ToolCall("call_A", "add", Json.MAPPER.readTree("{\"a\":1,\"b\":2}")), calls.get(0));
    assertEquals(new ToolCall("call_B", "time_in", Json.MAPPER.readTree("{\"zone\":\"UTC\"}")), calls.get(1));
    assertEquals("call_A", deltas.get(0).toolCallId());
    assertEquals("add", deltas.get(0).toolName());
    assertEquals(1, deltas.get(2).toolCallIndex());
    assertEquals("call_B", deltas.get(2).toolCallId());
    String args0 = deltas.stream().filter(d -> Integer.valueOf(0).equals(d.toolCallIndex())).map(ChatDelta::argumentsFragment).reduce("", String::concat);
    assertEquals("{\"a\":1,\"b\":2}", args0);
    assertEquals(38, r.usage().totalTokens());
  }

  @Test
  void brokenToolArgumentsStayTextSoTheSchemaCheckRejectsThem() throws Exception {
    fake.enqueue(Reply.sse(List.of(
        chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_X\",\"function\":{\"name\":\"add\",\"arguments\":\"{\\\"a\\\":\"}}]}", "tool_calls"), DONE)));

    ChatResponse r = await(provider("").chat(ask("x", true), d -> {}));

    assertTrue(r.message().toolCalls().get(0).arguments().isTextual());
  }

  // ---- errors ----

  @Test
  void mapsHttpErrorsToTypedFailuresWithTheProvidersMessage() throws Exception {
    LlmProvider p = provider("");
    fake.enqueue(
        Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + ". Find your key at platform\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"),
        Reply.json(400, "{\"error\":{\"message\":\"Unsupported value: 'messages[0].role'\",\"type\":\"invalid_request_error\",\"param\":\"messages[0].role\",\"code\":\"unsupported_value\"}}"),
        Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")
            .header("Retry-After", "7").header("x-ratelimit-remaining-requests", "0").header("x-ratelimit-limit-requests", "500"),
        Reply.json(500, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}"),
        Reply.json(404, "{\"error\":{\"message\":\"The model `gpt-nope` does not exist\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}"),
        Reply.text(503, "upstream connect error"));

    LlmException auth = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.AUTHENTICATION, auth.code());
    assertEquals(401, auth.status());
    assertFalse(auth.getMessage().contains(KEY), auth.getMessage());
    assertFalse(auth.getMessage().contains("0123456789abcdef"), auth.getMessage());

    LlmException invalid = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.INVALID_REQUEST, invalid.code());
    assertTrue(invalid.getMessage().contains("Unsupported value: 'messages[0].role'"), invalid.getMessage());

    LlmException limited = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.RATE_LIMITED, limited.code());
    assertEquals(Duration.ofSeconds(7), limited.retryAfter().orElseThrow());
    assertEquals(0, limited.rateLimit().number("x-ratelimit-remaining-requests").orElseThrow());
    assertEquals("500", limited.rateLimit().headers().get("x-ratelimit-limit-requests"));
    assertFalse(limited.contentDelivered());

    LlmException server = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.PROVIDER_ERROR, server.code());
    assertEquals(500, server.status());
    assertTrue(server.getMessage().contains("The server had an error"));

    assertEquals(Code.MODEL_NOT_FOUND, failure(p.chat(ask("x", false), d -> {})).code());

    LlmException unavailable = failure(p.chat(ask("x", false), d -> {}));
    assertEquals(Code.PROVIDER_ERROR, unavailable.code());
    assertTrue(unavailable.getMessage().contains("upstream connect error"));
    assertEquals(6, fake.requestCount());
  }

  @Test
  void aConnectionResetMidStreamFailsAndSaysContentWasDelivered() throws Exception {
    fake.enqueue(Reply.sse(List.of(chunk("{\"content\":\"Hel\"}", null))).thenReset());
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    LlmException e = failure(provider("").chat(ask("hi", true), deltas::add));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.contentDelivered());
    assertEquals(1, deltas.size());
    assertEquals(1, fake.requestCount());
  }

  @Test
  void aStreamCutBeforeItsEndFails() throws Exception {
    fake.enqueue(Reply.sse(List.of(chunk("{\"content\":\"Hel\"}", null))));

    LlmException e = failure(provider("").chat(ask("hi", true), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.getMessage().contains("ended before"), e.getMessage());
    assertTrue(e.contentDelivered());
  }

  @Test
  void aMalformedChunkFailsTheCall() throws Exception {
    fake.enqueue(Reply.sse(List.of("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n", DONE)));

    LlmException e = failure(provider("").chat(ask("hi", true), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    assertFalse(e.contentDelivered());
  }

  @Test
  void anErrorInsideTheStreamIsTyped() throws Exception {
    fake.enqueue(Reply.sse(List.of(data("{\"error\":{\"message\":\"Rate limit exceeded\",\"type\":\"rate_limit_error\"}}"))));

    LlmException e = failure(provider("").chat(ask("hi", true), d -> {}));

    assertEquals(Code.RATE_LIMITED, e.code());
    assertFalse(e.contentDelivered());
  }

  @Test
  void aRefusedConnectionIsAProviderErrorWithoutStatus() throws Exception {
    LlmProvider p = provider("");
    fake.close();

    LlmException e = failure(p.chat(ask("hi", false), d -> {}));

    assertEquals(Code.PROVIDER_ERROR, e.code());
    assertEquals(0, e.status());
    assertFalse(e.contentDelivered());
    fake = FakeProviderServer.start(testKit.system()); // for stop()
  }

  @Test
  void aSlowFirstByteTimesOut() throws Exception {
    fake.enqueue(Reply.json(200, "{}").firstByteDelay(Duration.ofSeconds(3)));

    LlmException e = failure(provider("openai.http.idle-timeout = 300ms").chat(ask("hi", false), d -> {}));

    assertEquals(Code.TIMEOUT, e.code());
  }

  // ---- cancellation ----

  @Test
  void cancellingAStreamAbortsTheRequestAndReleasesTheConnection() throws Exception {
    LlmProvider p = provider("openai.http.max-connections = 1");
    fake.enqueue(Reply.sse(List.of(chunk("{\"content\":\"Hel\"}", null))).thenHang());
    CompletableFuture<ChatDelta> first = new CompletableFuture<>();
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();
    CompletionStage<ChatResponse> call = p.chat(ask("hi", true), d -> {
      deltas.add(d);
      first.complete(d);
    });
    first.get(10, TimeUnit.SECONDS);

    call.toCompletableFuture().cancel(true);

    // the fake sees its body cancelled: the client closed the connection
    fake.streamEnded(0).get(10, TimeUnit.SECONDS);
    assertTrue(call.toCompletableFuture().isCancelled());
    assertEquals(1, deltas.size());
    // the only pooled connection is free again
    fake.enqueue(Reply.json(200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"next\"}}]}"));
    assertEquals("next", await(p.chat(ask("again", false), d -> {})).message().content());
    assertEquals(2, fake.requestCount());
  }

  @Test
  void cancellingBeforeTheResponseHeadDiscardsTheLateResponse() throws Exception {
    LlmProvider p = provider("openai.http.max-connections = 1");
    fake.enqueue(Reply.sse(List.of(chunk("{\"content\":\"late\"}", "stop"), DONE)).firstByteDelay(Duration.ofMillis(300)));
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();
    CompletionStage<ChatResponse> call = p.chat(ask("hi", true), deltas::add);

    call.toCompletableFuture().cancel(true);

    fake.enqueue(Reply.json(200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"next\"}}]}"));
    assertEquals("next", await(p.chat(ask("again", false), d -> {})).message().content());
    assertTrue(deltas.isEmpty());
    assertEquals(2, fake.requestCount());
  }

  @Test
  void aFullConnectionPoolQueueFailsFastAsOverloaded() throws Exception {
    LlmProvider p = provider("openai.http { max-connections = 1, max-open-requests = 1 }");
    fake.always(Reply.sse(List.of(chunk("{\"content\":\"x\"}", null))).thenHang());
    CompletableFuture<ChatDelta> first = new CompletableFuture<>();
    CompletionStage<ChatResponse> holding = p.chat(ask("1", true), first::complete);
    first.get(10, TimeUnit.SECONDS);

    // the pool queues max-open-requests beyond the busy connection; the rest fail at once
    List<CompletableFuture<ChatResponse>> extra = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      extra.add(p.chat(ask("more", true), d -> {}).toCompletableFuture());
    }
    CompletableFuture<Object> firstDone = CompletableFuture.anyOf(extra.toArray(CompletableFuture[]::new));
    LlmException e = failure(firstDone);

    assertEquals(Code.OVERLOADED, e.code(), e.getMessage());
    extra.forEach(f -> f.cancel(true));
    holding.toCompletableFuture().cancel(true);
  }

  // ---- configuration and secrets ----

  @Test
  void theKeyNeverReachesAnExceptionOrALog() throws Exception {
    LlmProvider p = provider("");
    fake.enqueue(
        Reply.json(401, "{\"error\":{\"message\":\"bad key " + KEY + "\",\"type\":\"invalid_request_error\"}}"),
        Reply.sse(List.of(chunk("{\"content\":\"x\"}", null))).thenReset(),
        Reply.text(500, "echo Authorization: Bearer " + KEY));
    var events = ProviderTests.captureLogs(() -> {
      for (int i = 0; i < 3; i++) {
        LlmException e = failure(p.chat(ask("x", i == 1), d -> {}));
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
        assertFalse(e.toString().contains(KEY));
      }
    });
    for (var e : events) {
      assertFalse(ProviderTests.everything(e).contains(KEY), ProviderTests.everything(e));
    }
  }

  @Test
  void verifyOnStartFailsTheInitWhenTheKeyIsRejected() throws Exception {
    fake.enqueue(Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\"}}"),
        Reply.json(200, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-test\",\"object\":\"model\"}]}"));

    LlmException e = failure(provider("openai.verify-on-start = true").init());
    await(provider("openai.verify-on-start = true").init());

    assertEquals(Code.AUTHENTICATION, e.code());
    assertEquals("GET", fake.lastRequest().method());
    assertEquals("/v1/models", fake.lastRequest().path());
    assertEquals(2, fake.requestCount());
  }

  @Test
  void startingWithoutAKeyFailsWithAClearMessage() {
    Config llm = llm("openai.api-key = \"\"");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Providers.builtIn().get("openai").create(testKit.system(), llm));
    assertTrue(e.getMessage().contains("troupe.llm.openai.api-key"), e.getMessage());
    assertTrue(e.getMessage().contains("OPENAI_API_KEY"), e.getMessage());
  }

  @Test
  void aLocalCompatibleServerNeedsNoKey() throws Exception {
    fake.enqueue(Reply.json(200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"hi\"}}]}"));
    LlmProvider p = Providers.builtIn().get("openai")
        .create(testKit.system(), llm("openai { base-url = \"" + fake.baseUrl() + "/v1\", api-key = \"\" }"));

    assertEquals("hi", await(p.chat(ask("x", false), d -> {})).message().content());
    assertFalse(fake.lastRequest().headers().containsKey("authorization"));
  }

  @Test
  void namedProvidersTakeTheirOwnModelAndFallBackToTheirType() throws Exception {
    fake.enqueue(Reply.json(200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"content\":\"fast\"}}]}"));
    Config llm = llm("openai { base-url = \"" + fake.baseUrl() + "/v1\", api-key = \"" + KEY + "\" }\n"
        + "providers.fast { type = openai, model = m-fast, headers { X-Title = troupe }, http.max-connections = 2 }\n"
        + "provider = fast");

    LlmProvider fast = Providers.forConfig(llm).get("fast").create(testKit.system(), llm);
    ChatResponse r = await(fast.chat(ask("x", false), d -> {}));

    assertEquals("fast", fast.name());
    assertEquals("fast", r.provider());
    assertEquals("m-fast", fake.lastRequest().json().get("model").asText());
    assertEquals("troupe", fake.lastRequest().headers().get("x-title"));
    assertEquals("Bearer " + KEY, fake.lastRequest().headers().get("authorization"));
    assertEquals(2, ((OpenAiProvider) fast).settings().common().http().maxConnections());
  }

  @Test
  void aNamedProviderOfUnknownTypeFailsToStart() {
    Config llm = llm("providers.odd { type = cohere }");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Providers.forConfig(llm).get("odd").create(testKit.system(), llm));
    assertTrue(e.getMessage().contains("troupe.llm.providers.odd.type"), e.getMessage());
  }
}
