package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.db.Database;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Handoffs and agents as tools in a session: what is journaled, and how a resumed run goes on. */
@ExtendWith(TestKitJUnit5Extension.class)
class SessionTeamTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemoryJournal());

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
  private final TestProbe<Database.Command> database = testKit.createTestProbe();
  private final TestProbe<SessionEntity.Command> children = testKit.createTestProbe();
  private final String sessionId = "s-" + UUID.randomUUID().toString().substring(0, 8);
  private final String pid = "Session|" + sessionId;
  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

  private static final AgentSpec CALC = AgentSpec.builder("calc").instructions("You only calculate.")
      .tools(List.of("calculator")).maxSteps(3).build();
  private static final AgentSpec ROUTER = AgentSpec.builder("router").instructions("You route.")
      .tools(List.of()).agents(List.of("calc")).handoffs(List.of("calc")).maxSteps(6).build();

  private ActorRef<SessionEntity.Command> session() {
    var troupe = ConfigFactory.load().getConfig("troupe");
    ToolCatalogs catalogs = ToolCatalogs.get(testKit.system());
    if (catalogs.current().version() == 0) {
      catalogs.publish(List.of(new ToolSpec("calculator", "arithmetic", Json.object())),
          Map.of("calculator", Tool.Effect.READ_ONLY));
    }
    Agents.get(testKit.system()).define(CALC);
    Agents.get(testKit.system()).define(ROUTER);
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef()), id -> children.getRef()));
    return testKit.spawn(SessionEntity.create(sessionId, guardrail, SessionSettings.fromConfig(troupe)));
  }

  private IntentView await(ActorRef<SessionEntity.Command> session, String intentId) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.AwaitTerminal(intentId, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  private static void reply(LlmGateway.Chat chat, LlmGateway.ChatResult result) {
    chat.replyTo().tell(result.answering(chat.corr()));
  }

  private static LlmGateway.ChatResult toolCalls(ToolCall... calls) {
    return LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistantToolCalls("", List.of(calls)),
        new Usage(10, 5), FinishReason.TOOL_CALLS, "scripted", "test"));
  }

  private static LlmGateway.ChatResult text(String answer) {
    return LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant(answer), new Usage(20, 7), FinishReason.STOP,
        "scripted", "test"));
  }

  private static List<String> toolNames(LlmGateway.Chat chat) {
    return chat.request().tools().stream().map(ToolSpec::name).toList();
  }

  @Test
  void aHandoffIsJournaledAndTheNewAgentFinishesTheRun() {
    var session = session();
    TestProbe<StatusReply<IntentView>> accepted = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit("I need a sum", null, null, accepted.getRef(), null, "router"));
    String intentId = accepted.receiveMessage().getValue().id();

    var first = llm.expectMessageClass(LlmGateway.Chat.class);
    assertEquals(List.of("agent_calc", "transfer_to_calc"), toolNames(first));
    reply(first, toolCalls(new ToolCall("h1", "transfer_to_calc", Json.object())));
    var second = llm.expectMessageClass(LlmGateway.Chat.class);
    assertEquals(ChatMessage.system("You only calculate."), second.request().messages().get(0));
    assertEquals(List.of("calculator"), toolNames(second), "the new agent's plan");
    reply(second, text("Done."));
    IntentView done = await(session, intentId);
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("calc", done.agent());
    assertTrue(done.steps().stream().anyMatch(s -> s.kind().equals("handoff") && s.name().equals("calc")));

    List<Object> journal = PersistenceTestKit.create(testKit.system()).persistedInStorage(pid);
    var handedOff = journal.stream().filter(e -> e instanceof SessionEntity.AgentHandedOff)
        .map(SessionEntity.AgentHandedOff.class::cast).findFirst().orElseThrow();
    assertEquals("router", handedOff.from());
    assertEquals("calc", handedOff.to());
    assertEquals("h1", handedOff.callId());
  }

  @Test
  void aRunResumedAfterAHandoffGoesOnAsTheNewAgent() {
    long now = TraceClock.nowEpochNanos();
    String intentId = sessionId + ".1";
    ToolCall transfer = new ToolCall("h1", "transfer_to_calc", Json.object());
    PersistenceTestKit.create(testKit.system()).persistForRecovery(pid, List.of(
        new SessionEntity.IntentAccepted(intentId, "I need a sum", null, null, TRACE, now, null, null, "router"),
        new SessionEntity.IntentStarted(intentId, now),
        new SessionEntity.AgentHandedOff(intentId, "router", "calc", "h1", now),
        new SessionEntity.TurnCommitted(intentId, List.of(ChatMessage.assistantToolCalls("", List.of(transfer)),
            ChatMessage.toolResult("h1", "transfer_to_calc", "{\"handoff\":\"calc\",\"from\":\"router\"}")),
            IntentUsage.NONE)));
    var session = session();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class, Duration.ofSeconds(5));
    assertEquals(ChatMessage.system("You only calculate."), chat.request().messages().get(0));
    assertEquals(List.of("calculator"), toolNames(chat));
    assertEquals("h1", chat.request().messages().get(chat.request().messages().size() - 1).toolCallId(),
        "the handoff turn is part of the conversation");
    reply(chat, text("Done."));
    assertEquals("calc", await(session, intentId).agent());
  }

  @Test
  void aChildStartedBeforeACrashIsAskedForAgainWithTheSameKeyAndItsAnswerIsUsed() {
    long now = TraceClock.nowEpochNanos();
    String intentId = sessionId + ".1";
    ToolCall call = new ToolCall("c1", "agent_calc", Json.object().put("input", "6*7"));
    String key = intentId + "/1/c1";
    PersistenceTestKit.create(testKit.system()).persistForRecovery(pid, List.of(
        new SessionEntity.IntentAccepted(intentId, "Ask calc", null, null, TRACE, now, null, null, "router"),
        new SessionEntity.IntentStarted(intentId, now),
        new SessionEntity.TurnCommitted(intentId, List.of(ChatMessage.assistantToolCalls("", List.of(call))),
            IntentUsage.NONE),
        new SessionEntity.ToolEffectStarted(intentId, "c1", key)));
    var session = session();
    var submit = children.expectMessageClass(SessionEntity.SubmitAndWait.class, Duration.ofSeconds(5));
    assertEquals(key, submit.idempotencyKey(), "the child's session answers with the child it already has");
    assertEquals("calc", submit.agent());
    llm.expectNoMessage(Duration.ofMillis(50));
    submit.replyTo().tell(StatusReply.success(new IntentView(submit.idempotencyKey(), "x", IntentStatus.SUCCEEDED,
        "6*7", null, now, now, Outcome.answered("42"), List.of(), new IntentUsage(5, 5, 1, 1), TRACE)));
    var chat = llm.expectMessageClass(LlmGateway.Chat.class, Duration.ofSeconds(5));
    assertEquals("\"42\"", chat.request().messages().get(chat.request().messages().size() - 1).content());
    reply(chat, text("42."));
    assertEquals(IntentStatus.SUCCEEDED, await(session, intentId).status());
    List<Object> journal = PersistenceTestKit.create(testKit.system()).persistedInStorage(pid);
    assertTrue(journal.stream().anyMatch(e -> e instanceof SessionEntity.EffectFinished f && f.callId().equals("c1")),
        "the child's answer is journaled before the run goes on");
  }

  @Test
  void aChildThatFinishedBeforeACrashIsNotAskedAgain() {
    long now = TraceClock.nowEpochNanos();
    String intentId = sessionId + ".1";
    ToolCall call = new ToolCall("c1", "agent_calc", Json.object().put("input", "6*7"));
    PersistenceTestKit.create(testKit.system()).persistForRecovery(pid, List.of(
        new SessionEntity.IntentAccepted(intentId, "Ask calc", null, null, TRACE, now, null, null, "router"),
        new SessionEntity.IntentStarted(intentId, now),
        new SessionEntity.TurnCommitted(intentId, List.of(ChatMessage.assistantToolCalls("", List.of(call))),
            IntentUsage.NONE),
        new SessionEntity.ToolEffectStarted(intentId, "c1", intentId + "/1/c1"),
        new SessionEntity.EffectFinished(intentId, "c1", ChatMessage.toolResult("c1", "agent_calc", "\"42\""))));
    var session = session();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class, Duration.ofSeconds(5));
    assertEquals("\"42\"", chat.request().messages().get(chat.request().messages().size() - 1).content());
    children.expectNoMessage(Duration.ofMillis(50));
    reply(chat, text("42."));
    assertEquals(IntentStatus.SUCCEEDED, await(session, intentId).status());
  }

  @Test
  void cancellingTheParentCancelsTheChildrenItWaitsFor() {
    var session = session();
    TestProbe<StatusReply<IntentView>> accepted = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit("Ask calc", null, null, accepted.getRef(), null, "router"));
    String intentId = accepted.receiveMessage().getValue().id();
    reply(llm.expectMessageClass(LlmGateway.Chat.class),
        toolCalls(new ToolCall("c1", "agent_calc", Json.object().put("input", "6*7"))));
    var submit = children.expectMessageClass(SessionEntity.SubmitAndWait.class);

    TestProbe<StatusReply<IntentView>> cancelled = testKit.createTestProbe();
    session.tell(new SessionEntity.Cancel(intentId, cancelled.getRef()));
    var cancel = children.expectMessageClass(SessionEntity.Cancel.class);
    assertEquals(io.troupe.core.agent.AgentTools.childIntent(intentId, submit.idempotencyKey()), cancel.intentId());
    long now = TraceClock.nowEpochNanos();
    submit.replyTo().tell(StatusReply.success(new IntentView(cancel.intentId(), "x", IntentStatus.CANCELLED, "6*7",
        null, now, now, Outcome.failed("cancelled", "The intent was cancelled by request.", "none"), List.of(),
        IntentUsage.NONE, TRACE)));
    assertEquals(IntentStatus.CANCELLED, await(session, intentId).status());
  }
}
