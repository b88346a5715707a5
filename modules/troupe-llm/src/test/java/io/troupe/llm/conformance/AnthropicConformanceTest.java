package io.troupe.llm.conformance;

import static io.troupe.llm.conformance.IntentBed.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.llm.fake.FakeProviderServer.Recorded;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ProviderConformanceTest} over Anthropic's Messages API, where its wire differs from
 * OpenAI's: tool_use / tool_result blocks, the top-level system prompt, x-api-key, 529 and the
 * overloaded_error body (also as a mid-stream error event, the one scenario of its own).
 */
class AnthropicConformanceTest extends ProviderConformanceTest {
  static final String MODEL = "claude-test-2025";

  @Override
  String provider() {
    return "anthropic";
  }

  @Override
  String path() {
    return "/v1/messages";
  }

  @Override
  String configuredModel() {
    return "claude-test";
  }

  @Override
  String respondingModel() {
    return MODEL;
  }

  @Override
  String callId(String letter) {
    return "toolu_" + letter;
  }

  // The wire: Messages API stream events and bodies

  static String event(String type, String json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
  }

  static String start(int inputTokens) {
    return event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
        + "\"model\":\"" + MODEL + "\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":" + inputTokens
        + ",\"output_tokens\":1}}}");
  }

  static final String PING = event("ping", "{\"type\":\"ping\"}");
  static final String STOP = event("message_stop", "{\"type\":\"message_stop\"}");
  static final String OVERLOADED = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";

  static String textStart(int index) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
        + ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  }

  static String textDelta(int index, String text) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + Json.write(text) + "}}");
  }

  static String blockStop(int index) {
    return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
  }

  static String toolStart(int index, String id, String name) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
        + ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"input\":{}}}");
  }

  static String inputDelta(int index, String partial) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":" + Json.write(partial) + "}}");
  }

  static String messageDelta(String stop, int outputTokens) {
    return event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + stop
        + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + outputTokens + "}}");
  }

  static String message(String stop, String content, int in, int out) {
    return "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":" + content
        + ",\"stop_reason\":\"" + stop + "\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + in + ",\"output_tokens\":" + out + "}}";
  }

  /** Text beside the tool uses (never published: it was not checked as an answer), then both calls interleaved. */
  @Override
  Reply toolCalls(boolean stream) {
    if (!stream) {
      return Reply.json(200, message("tool_use", """
          [{"type":"text","text":"Let me check."},
           {"type":"tool_use","id":"toolu_A","name":"calculator","input":{"expression":"17% of 2340"}},
           {"type":"tool_use","id":"toolu_B","name":"current_time","input":{"timezone":"UTC"}}]""", CALLS_IN, CALLS_OUT));
    }
    return Reply.sse(List.of(start(CALLS_IN), PING,
        textStart(0), textDelta(0, "Let me check."), blockStop(0),
        toolStart(1, "toolu_A", "calculator"), inputDelta(1, ""), inputDelta(1, "{\"expression\":"),
        toolStart(2, "toolu_B", "current_time"), inputDelta(2, "{\"timez"),
        inputDelta(1, "\"17% of 2340\"}"), blockStop(1),
        inputDelta(2, "one\":\"UTC\"}"), blockStop(2),
        messageDelta("tool_use", CALLS_OUT), STOP));
  }

  @Override
  Reply answer(boolean stream, String... parts) {
    if (!stream) {
      return Reply.json(200, message("end_turn",
          "[{\"type\":\"text\",\"text\":" + Json.write(String.join("", parts)) + "}]", ANSWER_IN, ANSWER_OUT));
    }
    List<String> events = new ArrayList<>(List.of(start(ANSWER_IN), textStart(0)));
    for (String p : parts) events.add(textDelta(0, p));
    events.addAll(List.of(blockStop(0), messageDelta("end_turn", ANSWER_OUT), STOP));
    return Reply.sse(events).chunkDelay(Duration.ofMillis(30));
  }

  @Override
  Reply unknownToolAndRejectedArguments() {
    return Reply.sse(List.of(start(30),
        toolStart(0, "toolu_X", "launch_rockets"), inputDelta(0, "{\"count\":3}"), blockStop(0),
        toolStart(1, "toolu_Y", "calculator"), inputDelta(1, "{\"expression\":42}"), blockStop(1),
        messageDelta("tool_use", 12), STOP));
  }

  @Override
  List<String> beginning() {
    return List.of(start(10), PING);
  }

  @Override
  List<String> partial(String text) {
    return List.of(start(10), textStart(0), textDelta(0, text));
  }

  @Override
  String filler() {
    return PING;
  }

  @Override
  String malformed() {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,");
  }

  @Override
  List<String> end() {
    return List.of(blockStop(0), messageDelta("end_turn", 5), STOP);
  }

  @Override
  Reply rateLimited() {
    return Reply.json(429, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
        + "\"message\":\"Number of requests has exceeded your rate limit\"}}").header("retry-after", "1");
  }

  /** 529: Anthropic is overloaded. */
  @Override
  Reply transientServerError() {
    return Reply.json(529, OVERLOADED);
  }

  @Override
  Reply persistentServerError() {
    return Reply.json(529, OVERLOADED);
  }

  @Override
  String persistentServerErrorCode() {
    return "overloaded";
  }

  @Override
  List<String> persistentServerErrorMentions() {
    return List.of("Overloaded");
  }

  @Override
  Reply unauthorized(String key) {
    return Reply.json(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
        + "\"message\":\"invalid x-api-key " + key + "\"}}");
  }

  @Override
  String unauthorizedMention() {
    return "authentication_error";
  }

  @Override
  void assertAuthenticated(Recorded request) {
    assertEquals(KEY, request.headers().get("x-api-key"));
  }

  @Override
  void assertFirstRequest(Recorded request, boolean stream) {
    assertTrue(request.headers().containsKey("anthropic-version"), request.headers()::toString);
    JsonNode body = request.json();
    assertEquals("You are a test agent.", body.get("system").asText());
    assertTrue(body.get("max_tokens").asInt() > 0, body::toString);
    assertEquals("object", body.at("/tools/0/input_schema/type").asText());
    body.get("messages").forEach(m -> assertTrue(m.get("role").asText().matches("user|assistant"), m::toString));
  }

  @Override
  List<String> offeredTools(JsonNode body) {
    List<String> names = new ArrayList<>();
    body.path("tools").forEach(t -> names.add(t.get("name").asText()));
    return names;
  }

  @Override
  String lastUserText(JsonNode body) {
    JsonNode last = last(body.get("messages"));
    assertEquals("user", last.get("role").asText());
    JsonNode content = last.get("content");
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder text = new StringBuilder();
    content.forEach(b -> text.append(b.path("text").asText("")));
    return text.toString();
  }

  /** The assistant turn before the last holds the tool_use blocks. */
  @Override
  List<CallSeen> toolCallsSent(JsonNode body) {
    JsonNode messages = body.get("messages");
    JsonNode assistant = messages.get(messages.size() - 2);
    assertEquals("assistant", assistant.get("role").asText());
    List<CallSeen> calls = new ArrayList<>();
    for (JsonNode b : assistant.get("content")) {
      if (b.get("type").asText().equals("tool_use")) {
        calls.add(new CallSeen(b.get("id").asText(), b.get("name").asText(), b.get("input")));
      }
    }
    return calls;
  }

  /** One user turn of tool_result blocks, the last of the conversation. */
  @Override
  List<ResultSeen> toolResultsSent(JsonNode body) {
    JsonNode results = last(body.get("messages"));
    assertEquals("user", results.get("role").asText());
    List<ResultSeen> seen = new ArrayList<>();
    for (JsonNode b : results.get("content")) {
      assertEquals("tool_result", b.get("type").asText(), b::toString);
      seen.add(new ResultSeen(b.get("tool_use_id").asText(), b.get("content").asText()));
    }
    return seen;
  }

  // Anthropic's own: an error event in the stream

  @Test
  void anOverloadedErrorEventBeforeContentIsRetriedThenTheIntentSucceeds() throws Exception {
    bed("");
    bed.fake.enqueue(Reply.sse(List.of(start(10), PING, event("error", OVERLOADED))), answer(true, "Second try."));

    IntentView done = bed.run("Say something");

    assertEquals(IntentStatus.SUCCEEDED, done.status(), () -> String.valueOf(done.outcome()));
    assertEquals("Second try.", done.outcome().answer());
    bed.assertRequests(2, path());
  }
}
