package io.troupe.llm.conformance;

import static io.troupe.llm.fake.ProviderTests.await;
import static io.troupe.llm.fake.ProviderTests.failure;
import static io.troupe.llm.fake.ProviderTests.llm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.troupe.llm.embeddings.OpenAiEmbeddings;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import io.troupe.llm.http.ToolArguments;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

/**
 * Replays real recorded provider transcripts (the folder named by {@code TROUPE_WIRE_FIXTURES};
 * each case is a body file plus a {@code .meta.json} with the recorded request and response) through
 * the providers, served by the fake server. Each case rebuilds the recorded request as a
 * {@link ChatRequest}, checks that the provider sends the same conversation in the provider's own
 * format, and that it reads the recorded answer (text, tool calls, usage, finish reason, or the
 * typed error) as an independent, line-by-line reading of the same body says. Skipped when the
 * variable is unset.
 *
 * <p>Not a test class of its own: {@link ProviderConformanceTest} runs the transcripts of its
 * provider ({@code openai}: Chat Completions and embeddings; {@code anthropic}: Messages), so each
 * provider's conformance run holds both its scripted scenarios and its real recorded wire.
 */
final class WireTranscripts {
  static final String KEY = "sk-conformance-test-key";
  static final int CHUNK = 61; // serve bodies in odd-sized chunks that cut events anywhere

  private final ActorTestKit testKit;

  private WireTranscripts(ActorTestKit testKit) {
    this.testKit = testKit;
  }

  /** The provider a recorded request went to, by its URI; null when none of ours. */
  static String providerOf(String uri) {
    if (uri.contains("/embeddings") || uri.contains("/chat/completions")) {
      return "openai";
    }
    return uri.contains("/v1/messages") ? "anthropic" : null;
  }

  /**
   * One dynamic test per recorded transcript of {@code provider} in the folder named by
   * {@code TROUPE_WIRE_FIXTURES}; aborted (skipped) when the variable is unset.
   */
  static Stream<DynamicTest> replay(ActorTestKit testKit, String provider) throws IOException {
    WireTranscripts transcripts = new WireTranscripts(testKit);
    String folder = System.getenv("TROUPE_WIRE_FIXTURES");
    Assumptions.assumeTrue(folder != null && !folder.isBlank() && !folder.startsWith("${"),
        "TROUPE_WIRE_FIXTURES is not set: the wire conformance test needs the folder of recorded transcripts");
    Path dir = resolve(Path.of(folder));
    Assumptions.assumeTrue(dir != null, "TROUPE_WIRE_FIXTURES names no folder: " + folder
        + " (relative paths are tried from " + Path.of("").toAbsolutePath() + " and its parents)");
    List<Path> metas;
    try (Stream<Path> files = Files.list(dir)) {
      metas = files.filter(p -> p.getFileName().toString().endsWith(".meta.json")).sorted().toList();
    }
    assertFalse(metas.isEmpty(), "no .meta.json in " + dir);
    List<Path> mine = new ArrayList<>();
    for (Path meta : metas) {
      String uri = Json.MAPPER.readTree(meta.toFile()).path("request").path("uri").asText();
      if (provider.equals(providerOf(uri))) {
        mine.add(meta);
      }
    }
    assertFalse(mine.isEmpty(), "no recorded transcript of " + provider + " in " + dir);
    return mine.stream().map(meta -> DynamicTest.dynamicTest(meta.getFileName().toString(),
        () -> transcripts.replay(dir, meta)));
  }

  /** A relative path may be meant from the repository root, while tests run in the module's folder. */
  private static Path resolve(Path folder) {
    if (folder.isAbsolute()) {
      return Files.isDirectory(folder) ? folder : null;
    }
    for (Path base = Path.of("").toAbsolutePath(); base != null; base = base.getParent()) {
      if (Files.isDirectory(base.resolve(folder))) {
        return base.resolve(folder).normalize();
      }
    }
    return null;
  }

  private void replay(Path dir, Path metaFile) throws Exception {
    JsonNode meta = Json.MAPPER.readTree(metaFile.toFile());
    String body = Files.readString(dir.resolve(meta.get("body_file").asText()), StandardCharsets.UTF_8);
    String uri = meta.path("request").path("uri").asText();
    int status = meta.path("response").path("status").path("code").asInt(200);
    try (FakeProviderServer fake = FakeProviderServer.start(testKit.system())) {
      fake.enqueue(reply(meta, body, status));
      if (uri.contains("/embeddings")) {
        embeddings(fake, meta, body);
      } else if (uri.contains("/chat/completions")) {
        chat(fake, "openai", meta, body, status);
      } else if (uri.contains("/v1/messages")) {
        chat(fake, "anthropic", meta, body, status);
      } else {
        Assumptions.abort("no provider for " + uri);
      }
      assertEquals(1, fake.requestCount());
    }
  }

  /** The recorded status and body; of the headers only those a provider reads (the body is stored decoded). */
  private static Reply reply(JsonNode meta, String body, int status) {
    boolean sse = meta.get("body_file").asText().endsWith(".sse");
    Reply reply;
    if (sse) {
      List<String> chunks = new ArrayList<>();
      for (int i = 0; i < body.length(); i += CHUNK) {
        chunks.add(body.substring(i, Math.min(body.length(), i + CHUNK)));
      }
      reply = Reply.sse(chunks);
    } else {
      reply = Reply.json(status, body);
    }
    Iterator<Map.Entry<String, JsonNode>> headers = meta.path("response").path("headers_recorded").fields();
    while (headers.hasNext()) {
      Map.Entry<String, JsonNode> h = headers.next();
      String name = h.getKey().toLowerCase();
      if (name.startsWith("x-ratelimit-") || name.startsWith("anthropic-ratelimit-") || name.equals("retry-after")) {
        h.getValue().forEach(v -> reply.header(h.getKey(), v.asText()));
      }
    }
    return reply;
  }

  private void chat(FakeProviderServer fake, String type, JsonNode meta, String body, int status) throws Exception {
    JsonNode recorded = meta.path("request").path("body");
    String base = type.equals("openai") ? fake.baseUrl() + "/v1" : fake.baseUrl();
    LlmProvider provider = Providers.builtIn().get(type).create(testKit.system(),
        llm(type + " { base-url = \"" + base + "\", api-key = \"" + KEY + "\" }"));
    ChatRequest request = type.equals("openai") ? fromOpenAi(recorded) : fromAnthropic(recorded);
    List<ChatDelta> deltas = new CopyOnWriteArrayList<>();

    if (status >= 400) {
      LlmException e = failure(provider.chat(request, deltas::add));
      assertEquals(status == 400 ? Code.INVALID_REQUEST : e.code(), e.code());
      assertTrue(e.getMessage().contains(Json.MAPPER.readTree(body).path("error").path("message").asText()), e.getMessage());
      assertFalse(e.getMessage().contains(KEY));
      return;
    }
    ChatResponse response = await(provider.chat(request, deltas::add));

    sameConversation(type, recorded, fake.lastRequest().json());
    Expected expected = type.equals("openai")
        ? (request.stream() ? Expected.openAiStream(body) : Expected.openAiJson(body))
        : (request.stream() ? Expected.anthropicStream(body) : Expected.anthropicJson(body));
    assertEquals(expected.text, response.message().content());
    assertEquals(expected.toolIds, response.message().toolCalls().stream().map(ToolCall::id).toList());
    assertEquals(expected.toolNames, response.message().toolCalls().stream().map(ToolCall::name).toList());
    assertEquals(expected.inputTokens, response.usage().inputTokens());
    assertEquals(expected.outputTokens, response.usage().outputTokens());
    assertEquals(expected.toolIds.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS, response.finishReason());
    if (request.stream()) {
      assertEquals(expected.text, deltas.stream().map(ChatDelta::text).filter(t -> t != null).reduce("", String::concat));
    }
  }

  /** The provider sent the recorded conversation: same model, roles, texts and tool-call ids. */
  private static void sameConversation(String type, JsonNode recorded, JsonNode sent) {
    assertEquals(recorded.get("model").asText(), sent.get("model").asText());
    assertEquals(recorded.path("stream").asBoolean(false), sent.path("stream").asBoolean(false));
    assertEquals(shape(type, recorded.get("messages")), shape(type, sent.get("messages")));
    if (type.equals("anthropic")) {
      assertEquals(recorded.path("system").asText(""), sent.path("system").asText(""));
      assertEquals(recorded.get("max_tokens").asInt(), sent.get("max_tokens").asInt());
    }
    List<String> recordedTools = new ArrayList<>();
    recorded.path("tools").forEach(t -> recordedTools.add(type.equals("openai") ? t.path("function").path("name").asText() : t.path("name").asText()));
    List<String> sentTools = new ArrayList<>();
    sent.path("tools").forEach(t -> sentTools.add(type.equals("openai") ? t.path("function").path("name").asText() : t.path("name").asText()));
    assertEquals(recordedTools, sentTools);
  }

  /** A comparable outline of a message list: role, then text or tool ids per message or block. */
  private static List<String> shape(String type, JsonNode messages) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : messages) {
      String role = m.path("role").asText();
      if (type.equals("openai")) {
        StringBuilder s = new StringBuilder(role).append(':').append(text(m.path("content")));
        m.path("tool_calls").forEach(c -> s.append(" call ").append(c.path("id").asText()));
        if (m.has("tool_call_id")) {
          s.append(" result ").append(m.get("tool_call_id").asText());
        }
        out.add(s.toString());
      } else {
        for (JsonNode b : m.path("content").isTextual() ? List.of(Json.object().put("type", "text").put("text", m.get("content").asText())) : toList(m.path("content"))) {
          out.add(role + ":" + b.path("type").asText() + ":" + b.path("text").asText(b.path("id").asText(b.path("tool_use_id").asText())));
        }
      }
    }
    return out;
  }

  private static List<JsonNode> toList(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  private static String text(JsonNode content) {
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder s = new StringBuilder();
    content.forEach(part -> s.append(part.path("text").asText("")));
    return s.toString();
  }

  // ---- rebuilding the recorded requests ----

  private static ChatRequest fromOpenAi(JsonNode body) {
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : body.path("messages")) {
      String content = text(m.path("content"));
      switch (m.path("role").asText()) {
        case "system", "developer" -> messages.add(ChatMessage.system(content));
        case "user" -> messages.add(ChatMessage.user(content));
        case "tool" -> messages.add(ChatMessage.toolResult(m.path("tool_call_id").asText(), null, content));
        case "assistant" -> {
          List<ToolCall> calls = new ArrayList<>();
          m.path("tool_calls").forEach(c -> calls.add(new ToolCall(c.path("id").asText(), c.path("function").path("name").asText(),
              ToolArguments.parse(c.path("function").path("arguments").asText()))));
          messages.add(ChatMessage.assistantToolCalls(content, calls));
        }
        default -> throw new AssertionError("unknown role in " + m);
      }
    }
    List<ToolSpec> tools = new ArrayList<>();
    body.path("tools").forEach(t -> tools.add(new ToolSpec(t.path("function").path("name").asText(),
        t.path("function").path("description").asText(null), t.path("function").path("parameters"))));
    return new ChatRequest(body.path("model").asText(), messages, tools, body.path("max_tokens").asInt(0), body.path("stream").asBoolean(false));
  }

  private static ChatRequest fromAnthropic(JsonNode body) {
    List<ChatMessage> messages = new ArrayList<>();
    if (body.has("system")) {
      messages.add(ChatMessage.system(text(body.get("system"))));
    }
    for (JsonNode m : body.path("messages")) {
      boolean assistant = m.path("role").asText().equals("assistant");
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        messages.add(assistant ? ChatMessage.assistant(content.asText()) : ChatMessage.user(content.asText()));
        continue;
      }
      List<ToolCall> calls = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      for (JsonNode b : content) {
        switch (b.path("type").asText()) {
          case "text" -> text.append(b.path("text").asText());
          case "tool_use" -> calls.add(new ToolCall(b.path("id").asText(), b.path("name").asText(), b.path("input")));
          case "tool_result" -> messages.add(ChatMessage.toolResult(b.path("tool_use_id").asText(), null, text(b.path("content"))));
          default -> { }
        }
      }
      if (assistant) {
        messages.add(ChatMessage.assistantToolCalls(text.toString(), calls));
      } else if (!text.isEmpty()) {
        messages.add(ChatMessage.user(text.toString()));
      }
    }
    List<ToolSpec> tools = new ArrayList<>();
    body.path("tools").forEach(t -> tools.add(new ToolSpec(t.path("name").asText(), t.path("description").asText(null), t.path("input_schema"))));
    return new ChatRequest(body.path("model").asText(), messages, tools, body.path("max_tokens").asInt(0), body.path("stream").asBoolean(false));
  }

  // ---- embeddings ----

  private void embeddings(FakeProviderServer fake, JsonNode meta, String body) throws Exception {
    OpenAiEmbeddings client = Providers.openAiEmbeddings(testKit.system(),
        llm("openai { base-url = \"" + fake.baseUrl() + "/v1\", api-key = \"" + KEY + "\" }"), "openai");
    List<String> inputs = new ArrayList<>();
    meta.path("request").path("body").path("input").forEach(i -> inputs.add(i.asText()));

    List<float[]> vectors = await(client.embed(inputs));

    JsonNode data = Json.MAPPER.readTree(body).path("data");
    assertEquals(data.size(), vectors.size());
    for (int i = 0; i < data.size(); i++) {
      JsonNode e = data.get(i).path("embedding");
      float[] v = vectors.get(data.get(i).path("index").asInt(i));
      if (e.isTextual()) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(e.asText())).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(b.remaining() / 4, v.length);
        assertEquals(b.getFloat(0), v[0]);
      } else {
        assertEquals(e.size(), v.length);
        assertEquals((float) e.get(0).asDouble(), v[0]);
      }
    }
    assertEquals(inputs, toList(fake.lastRequest().json().get("input")).stream().map(JsonNode::asText).toList());
    assertEquals("/v1/embeddings", fake.lastRequest().path());
  }

  /** What a simple, independent reading of a recorded body says the turn is. */
  record Expected(String text, List<String> toolIds, List<String> toolNames, long inputTokens, long outputTokens) {

    static Expected openAiJson(String body) throws IOException {
      JsonNode root = Json.MAPPER.readTree(body);
      JsonNode message = root.path("choices").path(0).path("message");
      List<String> ids = new ArrayList<>();
      List<String> names = new ArrayList<>();
      message.path("tool_calls").forEach(c -> {
        ids.add(c.path("id").asText());
        names.add(c.path("function").path("name").asText());
      });
      return new Expected(message.path("content").asText(""), ids, names,
          root.path("usage").path("prompt_tokens").asLong(), root.path("usage").path("completion_tokens").asLong());
    }

    static Expected openAiStream(String body) throws IOException {
      StringBuilder text = new StringBuilder();
      List<String> ids = new ArrayList<>();
      List<String> names = new ArrayList<>();
      long in = 0;
      long out = 0;
      for (String data : dataLines(body)) {
        if (data.equals("[DONE]")) {
          break;
        }
        JsonNode chunk = Json.MAPPER.readTree(data);
        for (JsonNode choice : chunk.path("choices")) {
          text.append(choice.path("delta").path("content").asText(""));
          for (JsonNode c : choice.path("delta").path("tool_calls")) {
            if (c.hasNonNull("id")) {
              ids.add(c.get("id").asText());
              names.add(c.path("function").path("name").asText());
            }
          }
        }
        if (chunk.path("usage").isObject()) {
          in = chunk.get("usage").path("prompt_tokens").asLong();
          out = chunk.get("usage").path("completion_tokens").asLong();
        }
      }
      return new Expected(text.toString(), ids, names, in, out);
    }

    static Expected anthropicJson(String body) throws IOException {
      JsonNode root = Json.MAPPER.readTree(body);
      StringBuilder text = new StringBuilder();
      List<String> ids = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (JsonNode b : root.path("content")) {
        if (b.path("type").asText().equals("text")) {
          text.append(b.path("text").asText());
        } else if (b.path("type").asText().equals("tool_use")) {
          ids.add(b.path("id").asText());
          names.add(b.path("name").asText());
        }
      }
      return new Expected(text.toString(), ids, names, input(root.path("usage")), root.path("usage").path("output_tokens").asLong());
    }

    static Expected anthropicStream(String body) throws IOException {
      StringBuilder text = new StringBuilder();
      List<String> ids = new ArrayList<>();
      List<String> names = new ArrayList<>();
      long in = 0;
      long out = 0;
      for (String data : dataLines(body)) {
        JsonNode e = Json.MAPPER.readTree(data);
        switch (e.path("type").asText()) {
          case "message_start" -> in = input(e.path("message").path("usage"));
          case "content_block_start" -> {
            if (e.path("content_block").path("type").asText().equals("tool_use")) {
              ids.add(e.path("content_block").path("id").asText());
              names.add(e.path("content_block").path("name").asText());
            }
          }
          case "content_block_delta" -> text.append(e.path("delta").path("text").asText(""));
          case "message_delta" -> out = e.path("usage").path("output_tokens").asLong(out);
          default -> { }
        }
      }
      return new Expected(text.toString(), ids, names, in, out);
    }

    private static long input(JsonNode usage) {
      return usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong()
          + usage.path("cache_read_input_tokens").asLong();
    }

    private static List<String> dataLines(String body) {
      return body.lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim()).toList();
    }
  }
}
