package io.troupe.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.llm.local.LocalProvider;
import io.troupe.llm.local.LocalSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Latency and timeouts, on virtual time. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlmTimingTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

  private ManualTime manualTime() {
    return ManualTime.get(testKit.system());
  }

  private static Config troupe(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
  }

  @Test
  void localLatencyRunsOnTheSchedulerWithoutBlocking() {
    LocalProvider provider = new LocalProvider(LocalSettings.defaults().withLatency(Duration.ofSeconds(2)),
        testKit.system().classicSystem().scheduler(), testKit.system().executionContext());
    TestProbe<ChatResponse> done = testKit.createTestProbe();
    CompletionStage<ChatResponse> stage =
        provider.chat(new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, false), d -> {});
    stage.thenAccept(done.ref()::tell);
    assertFalse(stage.toCompletableFuture().isDone(), "the call returned before its latency passed");

    manualTime().expectNoMessageFor(Duration.ofMillis(1999), done);
    manualTime().timePasses(Duration.ofMillis(1));
    assertTrue(done.receiveMessage().message().content().startsWith("Hello!"));
  }

  @Test
  void configuredLatencyAppliesThroughTheGateway() {
    // a bare string, as an environment variable gives it: milliseconds
    ActorRef<LlmGateway.Command> gateway =
        testKit.spawn(LlmGatewayActor.create(troupe("troupe.llm.local.latency = \"500\"")));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());

    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(
        new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, true), deltas.ref(), reply.ref()));
    // An invalid request is answered at once: when its reply is back, the first call has been scheduled.
    TestProbe<LlmGateway.ChatResult> barrier = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(new ChatRequest(null, List.of(), List.of(), 0, false), null, barrier.ref()));
    assertEquals(LlmFailure.Code.INVALID_REQUEST, barrier.receiveMessage().failure().code());
    manualTime().expectNoMessageFor(Duration.ofMillis(499), reply, deltas);
    manualTime().timePasses(Duration.ofMillis(1));
    assertTrue(reply.receiveMessage().isOk());
    assertTrue(deltas.receiveMessage().text().startsWith("Hello!"));
  }

  @Test
  void aCallThatDoesNotCompleteTimesOut() {
    TestProbe<ChatRequest> calls = testKit.createTestProbe();
    CompletableFuture<ChatResponse> never = new CompletableFuture<>();
    LlmProvider stuck = new LlmProvider() {
      @Override
      public String name() {
        return "stuck";
      }

      @Override
      public CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
        calls.ref().tell(request);
        return never;
      }
    };
    Map<String, ProviderFactory> factories = Map.of("stuck", (system, llm) -> stuck);
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(
        troupe("troupe.llm { provider = stuck, call-timeout = 5s, resilience.retry.max-attempts = 1 }"), factories));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());

    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(new ChatRequest(null, List.of(ChatMessage.user("x")), List.of(), 0, false), null,
        reply.ref()));
    calls.receiveMessage(); // the timer is running from here on
    manualTime().expectNoMessageFor(Duration.ofMillis(4999), reply);
    manualTime().timePasses(Duration.ofMillis(1));
    LlmGateway.ChatResult result = reply.receiveMessage();
    assertEquals(LlmFailure.Code.TIMEOUT, result.failure().code());
    assertEquals("the model call to 'stuck' timed out after 5000 ms", result.failure().message());

    // a late completion is dropped: no second reply
    never.complete(null);
    reply.expectNoMessage(Duration.ofMillis(100));
  }
}
