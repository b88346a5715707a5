package io.troupe.llm.conformance;

import static io.troupe.llm.conformance.IntentBed.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.llm.fake.FakeProviderServer.Recorded;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@link ProviderConformanceTest} over OpenAI's Chat Completions: chunks, tool_calls, tool messages, a bearer key. */
class OpenAiConformanceTest extends ProviderConformanceTest {
  static final String MODEL = "gpt-test-2025-01-01";

  @Override
  String provider() {
    return "openai";
  }

  @Override
  String path() {
    return "/v1/chat/completions";
  }

  @Override
  String configuredModel() {
    return "gpt-test";
  }

  @Override
  String respondingModel() {
    return MODEL;
  }

  @Override
  String callId(String letter) {
    return "call_" + letter;
  }

  // The wire: Chat Completions chunks and bodies

  static String chunk(String delta, String finish) {
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL + "\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
  }

  static String text(String t) {
    return chunk("{\"content\":" + Json.write(t) + "}", null);
  }

  static String toolFragment(int index, String id, String name, String args) {
    String head = id == null ? "" : "\"id\":\"" + id + "\",\"type\":\"function\",";
    String fn = (name == null ? "" : "\"name\":\"" + name + "\",") + "\"arguments\":" + Json.write(args);
    return chunk("{\"tool_calls\":[{\"index\":" + index + "," + head + "\"function\":{" + fn + "}}]}", null);
  }

  static String usage(int in, int out) {
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL + "\",\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":" + in + ",\"completion_tokens\":" + out + ",\"total_tokens\":" + (in + out) + "}}\n\n";
  }

  static final String ROLE = chunk("{\"role\":\"assistant\",\"content\":\"\"}", null);
  static final String DONE = "data: [DONE]\n\n";

  @Override
  Reply toolCalls(boolean stream) {
    if (!stream) {
      return Reply.json(200, """
          {"id":"chatcmpl-1","object":"chat.completion","model":"%s",
           "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"tool_calls":[
             {"id":"call_A","type":"function","function":{"name":"calculator","arguments":"{\\"expression\\":\\"17%% of 2340\\"}"}},
             {"id":"call_B","type":"function","function":{"name":"current_time","arguments":"{\\"timezone\\":\\"UTC\\"}"}}]}}],
           "usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_x"}"""
          .formatted(MODEL, CALLS_IN, CALLS_OUT, CALLS_IN + CALLS_OUT));
    }
    // Two parallel calls whose arguments arrive in interleaved fragments; one event split across two writes.
    String split = toolFragment(1, "call_B", "current_time", "{\"timezone\"");
    return Reply.sse(List.of(ROLE,
        toolFragment(0, "call_A", "calculator", ""),
        toolFragment(0, null, null, "{\"expre"),
        split.substring(0, 40), split.substring(40),
        toolFragment(0, null, null, "ssion\":\"17% of 2340\"}"),
        toolFragment(1, null, null, ":\"UTC\"}"),
        chunk("{}", "tool_calls"), usage(CALLS_IN, CALLS_OUT), DONE));
  }

  @Override
  Reply answer(boolean stream, String... parts) {
    if (!stream) {
      return Reply.json(200, "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"model\":\"" + MODEL + "\","
          + "\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":"
          + Json.write(String.join("", parts)) + "}}],\"usage\":{\"prompt_tokens\":" + ANSWER_IN + ",\"completion_tokens\":"
          + ANSWER_OUT + ",\"total_tokens\":" + (ANSWER_IN + ANSWER_OUT) + "}}");
    }
    List<String> chunks = new ArrayList<>(List.of(ROLE));
    for (String p : parts) chunks.add(text(p));
    chunks.addAll(List.of(chunk("{}", "stop"), usage(ANSWER_IN, ANSWER_OUT), DONE));
    return Reply.sse(chunks).chunkDelay(Duration.ofMillis(30));
  }

  @Override
  Reply unknownToolAndRejectedArguments() {
    return Reply.sse(List.of(ROLE,
        toolFragment(0, "call_X", "launch_rockets", "{\"count\":"), toolFragment(0, null, null, "3}"),
        toolFragment(1, "call_Y", "calculator", "{\"expression\":42}"),
        chunk("{}", "tool_calls"), usage(40, 15), DONE));
  }

  @Override
  List<String> beginning() {
    return List.of(ROLE);
  }

  @Override
  List<String> partial(String text) {
    return List.of(ROLE, text(text));
  }

  @Override
  String filler() {
    return chunk("{}", null);
  }

  @Override
  String malformed() {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"\n\n";
  }

  @Override
  List<String> end() {
    return List.of(chunk("{}", "stop"), DONE);
  }

  @Override
  Reply rateLimited() {
    return Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached for gpt-test\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")
        .header("Retry-After", "1");
  }

  @Override
  Reply transientServerError() {
    return Reply.json(500, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}");
  }

  @Override
  Reply persistentServerError() {
    return Reply.json(503, "{\"error\":{\"message\":\"Service Unavailable\",\"type\":\"server_error\"}}");
  }

  @Override
  String persistentServerErrorCode() {
    return "provider_error";
  }

  @Override
  List<String> persistentServerErrorMentions() {
    return List.of("503", "Service Unavailable");
  }

  @Override
  Reply unauthorized(String key) {
    return Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + key
        + ". You can find your API key at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
        + "\"param\":null,\"code\":\"invalid_api_key\"}}");
  }

  @Override
  String unauthorizedMention() {
    return "Incorrect API key provided";
  }

  @Override
  void assertAuthenticated(Recorded request) {
    assertEquals("Bearer " + KEY, request.headers().get("authorization"));
  }

  @Override
  void assertFirstRequest(Recorded request, boolean stream) {
    JsonNode body = request.json();
    assertEquals("function", body.at("/tools/0/type").asText());
    assertEquals("object", body.at("/tools/0/function/parameters/type").asText());
    assertEquals("system", body.at("/messages/0/role").asText());
    assertEquals("You are a test agent.", body.at("/messages/0/content").asText());
    if (stream) assertTrue(body.at("/stream_options/include_usage").asBoolean(), body.toString());
  }

  @Override
  List<String> offeredTools(JsonNode body) {
    List<String> names = new ArrayList<>();
    body.path("tools").forEach(t -> names.add(t.at("/function/name").asText()));
    return names;
  }

  @Override
  String lastUserText(JsonNode body) {
    JsonNode last = last(body.get("messages"));
    assertEquals("user", last.get("role").asText());
    return last.get("content").asText();
  }

  /** The assistant message with the calls comes right before their two tool messages. */
  @Override
  List<CallSeen> toolCallsSent(JsonNode body) {
    JsonNode messages = body.get("messages");
    JsonNode assistant = messages.get(messages.size() - 3);
    assertEquals("assistant", assistant.get("role").asText());
    List<CallSeen> calls = new ArrayList<>();
    for (JsonNode c : assistant.get("tool_calls")) {
      assertEquals("function", c.get("type").asText());
      calls.add(new CallSeen(c.get("id").asText(), c.at("/function/name").asText(),
          Json.parse(c.at("/function/arguments").asText())));
    }
    return calls;
  }

  /** One {@code tool} message per call, the last two of the conversation. */
  @Override
  List<ResultSeen> toolResultsSent(JsonNode body) {
    JsonNode messages = body.get("messages");
    List<ResultSeen> results = new ArrayList<>();
    for (int i = messages.size() - 2; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      assertEquals("tool", m.get("role").asText(), m::toString);
      results.add(new ResultSeen(m.get("tool_call_id").asText(), m.get("content").asText()));
    }
    return results;
  }
}
