package io.troupe.testkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.ToolSpec;
import io.troupe.llm.openai.OpenAiProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The real OpenAI and Anthropic providers of troupe-llm, end to end over HTTP, against a scripted model. */
@ExtendWith(TestKitJUnit5Extension.class)
class ProvidersAgainstServerTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create();

  private OpenAiProvider provider(ScriptedModelServer server) {
    var section = ConfigFactory.parseString("base-url = \"" + server.baseUrl() + "\"\napi-key = \"test\"\n")
        .withFallback(kit.system().settings().config().getConfig("troupe.llm.openai"))
        .withFallback(kit.system().settings().config().getConfig("troupe.llm.http").atKey("http"));
    return OpenAiProvider.create(kit.system(), "openai", "troupe.llm.openai", section);
  }

  private io.troupe.llm.anthropic.AnthropicProvider anthropic(ScriptedModelServer server) {
    var section = ConfigFactory.parseString("base-url = \"" + server.anthropicBaseUrl() + "\"\napi-key = \"test\"\n")
        .withFallback(kit.system().settings().config().getConfig("troupe.llm.anthropic"))
        .withFallback(kit.system().settings().config().getConfig("troupe.llm.http").atKey("http"));
    return io.troupe.llm.anthropic.AnthropicProvider.create(kit.system(), "anthropic", "troupe.llm.anthropic", section);
  }

  private static ChatRequest ask(String text, boolean stream) {
    return new ChatRequest("scripted", List.of(ChatMessage.user(text)),
        List.of(new ToolSpec("weather", "the weather", Json.object().put("type", "object"))), 0, stream);
  }

  @Test
  void openAi() throws Exception {
    check(this::provider);
  }

  @Test
  void anthropic() throws Exception {
    check(this::anthropic);
  }

  private void check(java.util.function.Function<ScriptedModelServer, io.troupe.core.llm.LlmProvider> make) throws Exception {
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.lastUserMessageContains("busy"), Reply.rateLimited(Duration.ofSeconds(3)))
        .when(Requests.lastUserMessageContains("tell"), Reply.text("sunny and warm").streamedByWord())
        .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"));
    try (ScriptedModelServer server = ScriptedModelServer.start(model)) {
      io.troupe.core.llm.LlmProvider p = make.apply(server);

      ChatResponse call = p.chat(ask("weather?", false), d -> {}).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals("weather", call.message().toolCalls().get(0).name());
      assertEquals("Oslo", call.message().toolCalls().get(0).arguments().path("city").asText());

      List<String> deltas = new CopyOnWriteArrayList<>();
      ChatResponse text = p.chat(ask("tell me", true), d -> deltas.add(d.text()))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals("sunny and warm", text.message().content());
      assertEquals("sunny and warm", String.join("", deltas.stream().filter(s -> s != null).toList()));

      Throwable busy = null;
      try {
        p.chat(ask("busy", false), d -> {}).toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        busy = e.getCause();
      }
      assertTrue(busy != null, "a 429 fails the call");
      assertTrue(String.valueOf(busy).toLowerCase().contains("rate") || String.valueOf(busy).contains("429"),
          String.valueOf(busy));
      assertEquals(3, model.requests().size());
      assertEquals("weather", model.requests().get(0).tools().get(0).name());
    }
  }
}
