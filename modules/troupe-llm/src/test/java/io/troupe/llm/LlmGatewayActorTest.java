package io.troupe.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.core.runtime.Lifecycle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlmGatewayActorTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final List<ToolSpec> TOOLS = List.of(
      new ToolSpec("calculator", "arithmetic", Json.object()), new ToolSpec("current_time", "time", Json.object()));

  private static Config troupe(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
  }

  private static ChatRequest request(String text, boolean stream) {
    return new ChatRequest(null, List.of(ChatMessage.user(text)), TOOLS, 0, stream);
  }

  private ActorRef<LlmGateway.Command> started(ActorRef<LlmGateway.Command> gateway) {
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertEquals(Lifecycle.Initialized.ok("llm-gateway"), init.receiveMessage());
    return gateway;
  }

  private LlmGateway.ChatResult chat(ActorRef<LlmGateway.Command> gateway, ChatRequest request, ActorRef<ChatDelta> deltaTo) {
    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(request, deltaTo, reply.ref()));
    return reply.receiveMessage();
  }

  @Test
  void answersUnavailableBeforeInitAndWorksAfter() {
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(troupe("")));
    LlmGateway.ChatResult before = chat(gateway, request("What is 11 + 11?", false), null);
    assertFalse(before.isOk());
    assertEquals(LlmFailure.Code.UNAVAILABLE, before.failure().code());
    assertEquals(Lifecycle.unavailable("llm-gateway", null), before.failure().message());

    started(gateway);
    LlmGateway.ChatResult after = chat(gateway, request("What is 11 + 11?", false), null);
    assertTrue(after.isOk());
    assertEquals(FinishReason.TOOL_CALLS, after.response().finishReason());
    assertEquals("calculator", after.response().message().toolCalls().get(0).name());

    // a repeated Init works and the gateway keeps serving
    started(gateway);
    assertTrue(chat(gateway, request("What time is it in UTC?", false), null).isOk());
  }

  @Test
  void unknownProviderFailsInitWithAClearReason() {
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(troupe("troupe.llm.provider = nope")));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    Lifecycle.Initialized failed = init.receiveMessage();
    assertEquals("llm-gateway", failed.subsystem());
    assertTrue(failed.error().startsWith("unknown LLM provider 'nope'; available: "), failed.error());
    assertTrue(failed.error().contains("local"), failed.error());

    LlmGateway.ChatResult result = chat(gateway, request("hi", false), null);
    assertEquals(LlmFailure.Code.UNAVAILABLE, result.failure().code());
    assertTrue(result.failure().message().contains("unknown LLM provider 'nope'"));
  }

  @Test
  void deltasReachDeltaToWhenStreaming() {
    ActorRef<LlmGateway.Command> gateway = started(testKit.spawn(LlmGatewayActor.create(troupe(""))));
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    LlmGateway.ChatResult result = chat(gateway, request("Tell me a joke", true), deltas.ref());
    assertTrue(result.isOk());
    String text = result.response().message().content();
    StringBuilder streamed = new StringBuilder();
    while (streamed.length() < text.length()) {
      streamed.append(deltas.receiveMessage().text());
    }
    assertEquals(text, streamed.toString());
    deltas.expectNoMessage();
  }

  @Test
  void configuredStreamingAppliesToCallsWithADeltaReceiver() {
    ActorRef<LlmGateway.Command> gateway =
        started(testKit.spawn(LlmGatewayActor.create(troupe("troupe.llm.stream = true, troupe.llm.model = m1"))));
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    LlmGateway.ChatResult result = chat(gateway, request("What is 11 + 11?", false), deltas.ref());
    assertEquals("m1", result.response().model());
    ChatDelta first = deltas.receiveMessage();
    assertEquals(0, first.toolCallIndex());
    assertEquals("call_1", first.toolCallId());
    assertEquals("calculator", first.toolName());
  }

  /** A provider whose calls the test drives by hand. */
  private static final class FakeProvider implements LlmProvider {
    final TestProbe<ChatRequest> calls;
    final List<CompletableFuture<ChatResponse>> pending = new ArrayList<>();
    final List<Consumer<ChatDelta>> deltaSinks = new ArrayList<>();
    volatile RuntimeException throwOnChat;
    volatile CompletionStage<Void> init = CompletableFuture.completedFuture(null);

    FakeProvider(TestProbe<ChatRequest> calls) {
      this.calls = calls;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public CompletionStage<Void> init() {
      return init;
    }

    @Override
    public synchronized CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
      if (throwOnChat != null) throw throwOnChat;
      CompletableFuture<ChatResponse> f = new CompletableFuture<>();
      pending.add(f);
      deltaSinks.add(onDelta);
      calls.ref().tell(request);
      return f;
    }
  }

  private ActorRef<LlmGateway.Command> withFake(FakeProvider fake) {
    Map<String, ProviderFactory> factories = Map.of("fake", (system, llm) -> fake);
    return testKit.spawn(LlmGatewayActor.create(
        troupe("troupe.llm { provider = fake, resilience.retry.max-attempts = 1 }"), factories));
  }

  private static ChatResponse textResponse(String text) {
    return new ChatResponse(ChatMessage.assistant(text), new Usage(1, 1), FinishReason.STOP, "m", "fake");
  }

  @Test
  void aRequestThatNamesAnAgentsProviderGoesToThatProviderWithItsModelAndTemperature() {
    io.troupe.core.agent.Agents.get(testKit.system()).define(
        io.troupe.core.agent.AgentSpec.builder("uses-other").model("other", "big-model").build());
    TestProbe<ChatRequest> primaryCalls = testKit.createTestProbe();
    TestProbe<ChatRequest> otherCalls = testKit.createTestProbe();
    FakeProvider primary = new FakeProvider(primaryCalls);
    FakeProvider other = new FakeProvider(otherCalls);
    Map<String, ProviderFactory> factories = Map.of("fake", (system, llm) -> primary, "other", (system, llm) -> other);
    ActorRef<LlmGateway.Command> gateway = started(testKit.spawn(LlmGatewayActor.create(
        troupe("troupe.llm { provider = fake, resilience.retry.max-attempts = 1 }"), factories)));

    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    ChatRequest forOther = new ChatRequest("big-model", List.of(ChatMessage.user("hi")), TOOLS, 64, false, null,
        "other", 0.3, null);
    gateway.tell(new LlmGateway.Chat(forOther, null, reply.ref()));
    ChatRequest sent = otherCalls.receiveMessage();
    assertEquals("big-model", sent.model());
    assertEquals(0.3, sent.temperature());
    assertEquals(64, sent.maxOutputTokens());
    primaryCalls.expectNoMessage(java.time.Duration.ofMillis(50));
    other.pending.get(0).complete(textResponse("from other"));
    assertEquals("from other", reply.receiveMessage().response().message().content());

    gateway.tell(new LlmGateway.Chat(request("plain", false), null, reply.ref()));
    primaryCalls.receiveMessage(); // no provider named: the primary
    otherCalls.expectNoMessage(java.time.Duration.ofMillis(50));
  }

  @Test
  void manyCallsAreInFlightAtOnceAndEachGetsItsOwnResult() {
    TestProbe<ChatRequest> calls = testKit.createTestProbe();
    FakeProvider fake = new FakeProvider(calls);
    ActorRef<LlmGateway.Command> gateway = started(withFake(fake));
    TestProbe<LlmGateway.ChatResult> first = testKit.createTestProbe();
    TestProbe<LlmGateway.ChatResult> second = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(request("one", false), null, first.ref()));
    gateway.tell(new LlmGateway.Chat(request("two", false), null, second.ref()));
    calls.receiveMessage();
    calls.receiveMessage(); // both reached the provider before either finished

    fake.pending.get(1).complete(textResponse("second"));
    assertEquals("second", second.receiveMessage().response().message().content());
    first.expectNoMessage();
    fake.pending.get(0).complete(textResponse("first"));
    assertEquals("first", first.receiveMessage().response().message().content());
  }

  @Test
  void providerFailuresBecomeTypedFailuresWithoutSecrets() {
    TestProbe<ChatRequest> calls = testKit.createTestProbe();
    FakeProvider fake = new FakeProvider(calls);
    ActorRef<LlmGateway.Command> gateway = started(withFake(fake));

    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(request("a", false), null, reply.ref()));
    calls.receiveMessage();
    fake.pending.get(0).completeExceptionally(
        new LlmException(LlmFailure.Code.RATE_LIMITED, "rate limited for key sk-abcdef1234567890, retry later"));
    LlmFailure limited = reply.receiveMessage().failure();
    assertEquals(LlmFailure.Code.RATE_LIMITED, limited.code());
    assertEquals("rate limited for key [redacted], retry later", limited.message());

    gateway.tell(new LlmGateway.Chat(request("b", false), null, reply.ref()));
    calls.receiveMessage();
    fake.pending.get(1).completeExceptionally(new IllegalStateException("connect failed password=hunter2"));
    LlmFailure generic = reply.receiveMessage().failure();
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, generic.code());
    assertEquals("the provider 'fake' failed (IllegalStateException)", generic.message());

    fake.throwOnChat = new RuntimeException("boom");
    gateway.tell(new LlmGateway.Chat(request("c", false), null, reply.ref()));
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, reply.receiveMessage().failure().code());
  }

  @Test
  void aFailedProviderInitIsReportedAndRetried() {
    TestProbe<ChatRequest> calls = testKit.createTestProbe();
    FakeProvider fake = new FakeProvider(calls);
    fake.init = CompletableFuture.failedFuture(new IllegalStateException("no route to host"));
    ActorRef<LlmGateway.Command> gateway = withFake(fake);
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertEquals(Lifecycle.Initialized.failed("llm-gateway", "the LLM provider 'fake' could not start: no route to host"),
        init.receiveMessage());
    assertEquals(LlmFailure.Code.UNAVAILABLE, chat(gateway, request("a", false), null).failure().code());

    fake.init = CompletableFuture.completedFuture(null);
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertNull(init.receiveMessage().error());
  }

  @Test
  void anEmptyRequestIsInvalid() {
    ActorRef<LlmGateway.Command> gateway = started(testKit.spawn(LlmGatewayActor.create(troupe(""))));
    LlmGateway.ChatResult result = chat(gateway, new ChatRequest(null, List.of(), List.of(), 0, false), null);
    assertEquals(LlmFailure.Code.INVALID_REQUEST, result.failure().code());
  }
}
