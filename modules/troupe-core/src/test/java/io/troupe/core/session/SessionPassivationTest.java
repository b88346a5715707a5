package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.db.Database;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.Usage;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Sessions passivate themselves when idle, and never while an intent runs. */
@ExtendWith(TestKitJUnit5Extension.class)
class SessionPassivationTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.manualTimeCluster());

  private final ManualTime manualTime = ManualTime.get(testKit.system());
  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private static final Duration IDLE = Duration.ofMinutes(1);

  private ActorRef<SessionEntity.Command> session(String id) {
    var troupe = ConfigFactory.parseString("troupe.agent { session-idle-timeout = 1m, model-timeout = 1h }")
        .withFallback(ConfigFactory.load()).getConfig("troupe");
    TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
    return testKit.spawn(SessionEntity.create(id, guardrail, SessionSettings.fromConfig(troupe), shard.getRef()));
  }

  @Test
  void anIdleSessionAsksItsShardToPassivateIt() {
    var session = session("idle");
    TestProbe<StatusReply<IntentView>> reply = testKit.createTestProbe();
    session.tell(new SessionEntity.Get("idle.1", reply.getRef()));
    reply.receiveMessage();
    // The first check sees the request; the second finds the session idle.
    manualTime.timePasses(IDLE);
    shard.expectNoMessage(Duration.ofMillis(100));
    manualTime.timePasses(IDLE);
    var passivate = shard.expectMessageClass(ClusterSharding.Passivate.class);
    assertEquals(session, passivate.entity());
  }

  @Test
  void aSessionWithARunningIntentStaysAlive() {
    var session = session("busy");
    TestProbe<StatusReply<IntentView>> reply = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit("a long question", null, null, reply.getRef()));
    String id = reply.receiveMessage().getValue().id();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class);
    // Let the run's journal writes finish before moving the clock (the journal times out on it too).
    TestProbe<EventStream.Message> events = testKit.createTestProbe();
    session.tell(new SessionEntity.Subscribe(id, 0, events.getRef()));
    events.fishForMessage(Duration.ofSeconds(5), m -> m instanceof EventStream.Item item
        && item.event().type().equals("model.started")
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());

    for (int i = 0; i < 5; i++) {
      manualTime.timePasses(IDLE);
    }
    shard.expectNoMessage(Duration.ofMillis(100));

    chat.replyTo().tell(LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant("done"), new Usage(1, 1),
        FinishReason.STOP, "m", "p")).answering(chat.corr()));
    session.tell(new SessionEntity.AwaitTerminal(id, reply.getRef()));
    assertEquals(IntentStatus.SUCCEEDED, reply.receiveMessage().getValue().status());
    manualTime.timePasses(IDLE);
    manualTime.timePasses(IDLE);
    shard.expectMessageClass(ClusterSharding.Passivate.class);
  }

  @Test
  void passivateIfIdleAsksAtOnceButNotWhileAnIntentRuns() {
    var session = session("asked");
    TestProbe<StatusReply<IntentView>> reply = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit("a question", null, null, reply.getRef()));
    String id = reply.receiveMessage().getValue().id();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class);

    session.tell(new SessionEntity.PassivateIfIdle());
    shard.expectNoMessage(Duration.ofMillis(100));

    chat.replyTo().tell(LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant("done"), new Usage(1, 1),
        FinishReason.STOP, "m", "p")).answering(chat.corr()));
    session.tell(new SessionEntity.AwaitTerminal(id, reply.getRef()));
    assertEquals(IntentStatus.SUCCEEDED, reply.receiveMessage().getValue().status());
    session.tell(new SessionEntity.PassivateIfIdle());
    assertEquals(session, shard.expectMessageClass(ClusterSharding.Passivate.class).entity());
  }
}
