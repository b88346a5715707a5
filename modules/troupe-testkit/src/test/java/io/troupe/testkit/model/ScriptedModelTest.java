package io.troupe.testkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class ScriptedModelTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  private final ManualTime time = ManualTime.get(kit.system());
  private final TestProbe<LlmGateway.ChatResult> replies = kit.createTestProbe();
  private final TestProbe<ChatDelta> deltas = kit.createTestProbe();

  private static ChatRequest ask(String text, boolean stream, String... tools) {
    List<ToolSpec> specs = java.util.Arrays.stream(tools).map(t -> new ToolSpec(t, "", Json.object())).toList();
    return new ChatRequest(null, List.of(ChatMessage.system("sys"), ChatMessage.user(text)), specs, 0, stream);
  }

  @Test
  void picksTheFirstMatchingRuleAnswersWithTheCallsCorrAndRecordsEveryRequest() {
    ScriptedModel model = ScriptedModel.create()
        .whenOnce(Requests.lastUserMessageContains("weather"), Reply.rateLimited(Duration.ofSeconds(2)))
        .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"))
        .when(Requests.any(), Reply.text("hello").withUsage(3, 4));
    var gateway = kit.spawn(model.behavior());

    gateway.tell(new LlmGateway.Chat(41, ask("the weather?", false, "weather"), null, replies.getRef(), null));
    LlmGateway.ChatResult limited = replies.receiveMessage();
    assertEquals(41, limited.corr());
    assertEquals(LlmFailure.Code.RATE_LIMITED, limited.failure().code());
    assertTrue(limited.failure().message().contains("Retry-After: 2s"), limited.failure().message());

    gateway.tell(new LlmGateway.Chat(42, ask("the weather?", false, "weather"), null, replies.getRef(), null));
    LlmGateway.ChatResult call = replies.receiveMessage();
    assertEquals(42, call.corr());
    assertEquals("weather", call.response().message().toolCalls().get(0).name());

    gateway.tell(new LlmGateway.Chat(43, ask("hi", false), null, replies.getRef(), null));
    LlmGateway.ChatResult text = replies.receiveMessage();
    assertEquals("hello", text.response().message().content());
    assertEquals(7, text.response().usage().totalTokens());

    assertEquals(List.of("the weather?", "the weather?", "hi"),
        model.requests().stream().map(Requests::lastUserMessage).toList());
    assertEquals(0, model.unmatched());
  }

  @Test
  void anUnmatchedRequestIsAnInvalidRequestAndIsCounted() {
    ScriptedModel model = ScriptedModel.create().when(Requests.lastUserMessageContains("x"), Reply.text("x"));
    var gateway = kit.spawn(model.behavior());
    gateway.tell(new LlmGateway.Chat(1, ask("y", false), null, replies.getRef(), null));
    assertEquals(LlmFailure.Code.INVALID_REQUEST, replies.receiveMessage().failure().code());
    assertEquals(1, model.unmatched());
  }

  @Test
  void streamsDeltasThenTheResultAndACutStreamEndsInAFailure() {
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.lastUserMessageContains("cut"), Reply.cutStream("Hel", "lo"))
        .when(Requests.any(), Reply.text("one two three").streamedByWord());
    var gateway = kit.spawn(model.behavior());

    gateway.tell(new LlmGateway.Chat(5, ask("go", true), deltas.getRef(), replies.getRef(), null));
    assertEquals(List.of("one ", "two ", "three"),
        deltas.receiveSeveralMessages(3).stream().map(ChatDelta::text).toList());
    assertEquals("one two three", replies.receiveMessage().response().message().content());

    gateway.tell(new LlmGateway.Chat(6, ask("cut", true), deltas.getRef(), replies.getRef(), null));
    assertEquals("Hel", deltas.receiveMessage().text());
    assertEquals("lo", deltas.receiveMessage().text());
    LlmGateway.ChatResult cut = replies.receiveMessage();
    assertEquals(6, cut.corr());
    assertNull(cut.response());
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, cut.failure().code());
  }

  @Test
  void latencyRunsOnVirtualTimeAndACancelledCallNeverAnswers() {
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.lastUserMessageContains("hang"), Reply.hang())
        .when(Requests.any(), Reply.text("late").after(Duration.ofSeconds(30)));
    var gateway = kit.spawn(model.behavior());

    gateway.tell(new LlmGateway.Chat(7, ask("slow", false), null, replies.getRef(), "k7"));
    gateway.tell(new LlmGateway.Chat(8, ask("slow", false), null, replies.getRef(), "k8"));
    gateway.tell(new LlmGateway.CancelChat("k8"));
    time.timePasses(Duration.ofSeconds(29));
    replies.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofSeconds(1));
    assertEquals(7, replies.receiveMessage().corr());
    replies.expectNoMessage(Duration.ofMillis(50));

    gateway.tell(new LlmGateway.Chat(9, ask("hang", false), null, replies.getRef(), null));
    time.timePasses(Duration.ofMinutes(10));
    replies.expectNoMessage(Duration.ofMillis(50));
    assertEquals(3, model.requests().size());
  }

  @Test
  void aSessionRunsAgainstTheScriptedModelUnchanged() {
    FakeTool weather = FakeTool.readOnly("weather").returning(args -> Json.object().put("sky", "sunny"));
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResultFrom("weather"), r -> Reply.text("Sunny in Oslo: "
            + Requests.toolResultsSinceLastUser(r).get(0).content()))
        .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of(weather));

    IntentView done = agent.run(agent.session("s-weather"), "What is the weather in Oslo?");

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("Sunny in Oslo: {\"sky\":\"sunny\"}", done.outcome().answer());
    assertEquals(1, weather.calls().size());
    assertEquals("Oslo", weather.calls().get(0).arguments().get("city").asText());
    assertEquals(2, model.requests().size());
    assertTrue(Requests.hasToolResult().test(model.requests().get(1)));
  }

  @Test
  void aRateLimitedModelFailsTheIntentWithItsCode() {
    ScriptedModel model = ScriptedModel.create().when(Requests.any(), Reply.rateLimited(Duration.ofSeconds(5)));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of());
    IntentView done = agent.run(agent.session("s-429"), "hello");
    assertEquals(IntentStatus.FAILED, done.status());
    assertEquals("rate_limited", done.outcome().errorCode());
  }
}
