package io.troupe.testkit.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import org.apache.pekko.actor.typed.ActorRef;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionSettings;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.sim.Histories;
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
class FaultsTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  private static Reply twoCalls() {
    return Reply.toolCalls(new ToolCall("c1", "lookup", io.troupe.core.json.Json.object().put("k", 1)),
        new ToolCall("c2", "lookup", io.troupe.core.json.Json.object().put("k", 2)));
  }

  @Test
  void aDuplicatedModelReplyIsDroppedByItsCorrAndTheToolsRunOnce() {
    FakeTool lookup = FakeTool.readOnly("lookup");
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResult(), Reply.text("found"))
        .when(Requests.any(), twoCalls());
    var llm = kit.spawn(Faults.duplicating(kit.spawn(model.behavior())));
    TestAgent agent = TestAgent.start(kit, llm, kit.spawn(FakeToolRegistry.of(lookup).behavior()));

    IntentView done = agent.run(agent.session("s-dup"), "look it up");

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("found", done.outcome().answer());
    assertEquals(4, model.requests().size(), "every call reached the model twice");
    assertEquals(2, lookup.calls().size(), "the second tool-call reply started no second tool turn");
  }

  @Test
  void toolResultsDeliveredInReverseStillReachTheModelInCallOrder() {
    FakeTool lookup = FakeTool.readOnly("lookup").returning(args -> args);
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResult(), Reply.text("found"))
        .when(Requests.any(), twoCalls());
    var registry = kit.spawn(FakeToolRegistry.of(lookup).behavior());
    ActorRef<ToolRegistry.Command> reordered = kit.spawn(Faults.reordering(registry, 2, Duration.ofSeconds(1)));
    TestAgent agent = TestAgent.start(kit, kit.spawn(model.behavior()), reordered);

    IntentView done = agent.run(agent.session("s-reorder"), "look it up");

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals(List.of(2, 1), lookup.calls().stream().map(c -> c.arguments().get("k").asInt()).toList(),
        "the registry saw the calls reversed");
    ChatRequest second = model.requests().get(1);
    assertNull(Histories.problem(second.messages()));
    List<ChatMessage> results = Requests.toolResultsSinceLastUser(second);
    assertEquals(List.of("c1", "c2"), results.stream().map(ChatMessage::toolCallId).toList());
  }

  @Test
  void aGuardrailThatNeverAnswersEndsTheIntentAtItsDeadline() {
    ScriptedModel model = ScriptedModel.create().when(Requests.any(), Reply.text("never asked"));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of());
    agent.withSettings(SessionSettings.fromConfig(ConfigFactory.parseString("troupe.agent.deadline = 30s")
        .withFallback(kit.system().settings().config()).getConfig("troupe")));
    agent.withGuardrailLink(g -> Faults.dropping(g, m -> m instanceof Guardrail.CheckIntent));

    IntentView done = agent.run(agent.session("s-mute"), "hello");

    assertEquals(IntentStatus.FAILED, done.status());
    assertEquals("deadline", done.outcome().errorCode());
    assertEquals(0, model.requests().size());
  }

  @Test
  void aDelayedLinkDeliversOnlyWhenVirtualTimeHasPassed() {
    TestProbe<String> target = kit.createTestProbe();
    var link = kit.spawn(Faults.delaying(target.getRef(), Duration.ofSeconds(3)));
    link.tell("a");
    ManualTime time = ManualTime.get(kit.system());
    time.timePasses(Duration.ofMillis(2999));
    target.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    assertEquals("a", target.receiveMessage());
  }
}
