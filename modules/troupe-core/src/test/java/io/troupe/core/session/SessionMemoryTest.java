package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.TokenEstimate;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.ArrayList;
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

/** An agent's memory in a session: the token-bounded window, and the journaled summary of older turns. */
@ExtendWith(TestKitJUnit5Extension.class)
class SessionMemoryTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemoryJournal());

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
  private final String sessionId = "s-" + UUID.randomUUID().toString().substring(0, 8);
  private final String pid = "Session|" + sessionId;

  /** A bound of 300 tokens: about three of the turns below. */
  private static final AgentSpec BRIEF = AgentSpec.builder("brief").instructions("You are brief.")
      .tools(List.of("calculator")).memory(new AgentSpec.Memory(300, false)).build();

  /** 400 tokens: 100 for the summary, 300 for the turns. */
  private static final AgentSpec RECALL = AgentSpec.builder("recall").instructions("You remember.")
      .model("local", "recall-model").memory(new AgentSpec.Memory(400, true)).build();

  private ActorRef<SessionEntity.Command> session() {
    var troupe = ConfigFactory.load().getConfig("troupe");
    ToolCatalogs catalogs = ToolCatalogs.get(testKit.system());
    if (catalogs.current().version() == 0) {
      catalogs.publish(List.of(new ToolSpec("calculator", "arithmetic", Json.object())),
          Map.of("calculator", Tool.Effect.READ_ONLY));
    }
    Agents.get(testKit.system()).define(BRIEF);
    Agents.get(testKit.system()).define(RECALL);
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
    return testKit.spawn(SessionEntity.create(sessionId, guardrail, SessionSettings.fromConfig(troupe)));
  }

  private IntentView submit(ActorRef<SessionEntity.Command> session, String text, String agent) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit(text, null, null, probe.getRef(), null, agent));
    return probe.receiveMessage().getValue();
  }

  private IntentView await(ActorRef<SessionEntity.Command> session, String intentId) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.AwaitTerminal(intentId, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  /** The next model call (a cancel of a call a stopped session had out is skipped). */
  private LlmGateway.Chat nextChat() {
    while (true) {
      LlmGateway.Command c = llm.receiveMessage(Duration.ofSeconds(5));
      if (c instanceof LlmGateway.Chat chat) return chat;
    }
  }

  private static void reply(LlmGateway.Chat chat, LlmGateway.ChatResult result) {
    chat.replyTo().tell(result.answering(chat.corr()));
  }

  private static LlmGateway.ChatResult text(String answer, int in, int out) {
    return LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant(answer), new Usage(in, out),
        FinishReason.STOP, "scripted", "test"));
  }

  /** An answer of about 90 tokens, so that a turn (question and answer) is about 100. */
  private static String answer(int i) {
    return "answer " + i + " " + "lorem ipsum ".repeat(28);
  }

  /** One intent of plain question and answer; returns the model call it made. */
  private LlmGateway.Chat ask(ActorRef<SessionEntity.Command> session, int i, String agent) {
    IntentView accepted = submit(session, "question " + i, agent);
    LlmGateway.Chat chat = nextChat();
    reply(chat, text(answer(i), 100, 90));
    assertEquals(IntentStatus.SUCCEEDED, await(session, accepted.id()).status());
    return chat;
  }

  /** What the model saw of the session's history: between the agent's instructions and the intent's text. */
  private static List<ChatMessage> historySeen(LlmGateway.Chat chat) {
    List<ChatMessage> m = chat.request().messages();
    return m.subList(1, m.size() - 1);
  }

  private List<Object> journal() {
    return PersistenceTestKit.create(testKit.system()).persistedInStorage(pid);
  }

  @Test
  void aLongSessionsNewIntentSeesOnlyTheNewestWholeTurnsThatFitItsTokens() {
    var session = session();
    List<ChatMessage> everything = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      ask(session, i, "brief");
      everything.add(ChatMessage.user("question " + i));
      everything.add(ChatMessage.assistant(answer(i)));
    }
    // A tool turn: its call and result must stay together, or go together.
    IntentView tool = submit(session, "question 8", "brief");
    ToolCall call = new ToolCall("c1", "calculator", Json.parse("{\"expression\":\"6*7\"}"));
    reply(nextChat(), LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistantToolCalls("", List.of(call)),
        new Usage(10, 5), FinishReason.TOOL_CALLS, "scripted", "test")));
    tools.expectMessageClass(ToolRegistry.Execute.class).reply(ToolResult.ok("c1", "calculator",
        Json.object().put("result", 42)));
    reply(nextChat(), text("42", 10, 1));
    assertEquals(IntentStatus.SUCCEEDED, await(session, tool.id()).status());

    IntentView next = submit(session, "question 9", "brief");
    LlmGateway.Chat chat = nextChat();
    List<ChatMessage> seen = historySeen(chat);
    assertEquals(ChatMessage.system("You are brief."), chat.request().messages().get(0));
    assertEquals(ChatMessage.user("question 9"), chat.request().messages().get(chat.request().messages().size() - 1));

    // Within the bound, and the largest such tail of whole turns: one turn more would not fit.
    assertTrue(TokenEstimate.of(seen) <= 300, "tokens seen: " + TokenEstimate.of(seen));
    assertTrue(HistoryWindow.isValid(seen), "valid: " + seen);
    assertEquals(ChatMessage.Role.USER, seen.get(0).role());
    List<ChatMessage> tail = seen.subList(seen.size() - 4, seen.size());
    assertEquals(ChatMessage.user("question 8"), tail.get(0));
    assertEquals(call.id(), tail.get(1).toolCalls().get(0).id());
    assertEquals(call.id(), tail.get(2).toolCallId());
    assertEquals(ChatMessage.assistant("42"), tail.get(3));
    int turnsBefore = (seen.size() - 4) / 2;
    List<ChatMessage> oneMore = everything.subList(everything.size() - 2 * (turnsBefore + 1), everything.size() - 2 * turnsBefore);
    assertTrue(TokenEstimate.of(seen) + TokenEstimate.of(oneMore) > 300, "one turn more would fit");
    assertEquals(everything.subList(everything.size() - 2 * turnsBefore, everything.size()), seen.subList(0, 2 * turnsBefore));
    // The message bound (troupe.agent.history-messages = 20) alone would have shown all 18 messages.
    assertTrue(seen.size() < 18, "bounded by tokens, not messages: " + seen.size());

    reply(chat, text("fine", 10, 1));
    await(session, next.id());
    // The default agent (max-tokens 0) keeps today's message bound: the last 20 messages.
    IntentView plain = submit(session, "question 10", null);
    LlmGateway.Chat plainChat = nextChat();
    assertEquals(20, historySeen(plainChat).size());
    reply(plainChat, text("ok", 1, 1));
    await(session, plain.id());
  }

  @Test
  void olderTurnsAreSummarisedOnceJournaledCountedAndReusedAfterARestartWithoutAnotherModelCall() {
    var session = session();
    for (int i = 1; i <= 3; i++) {
      LlmGateway.Chat chat = ask(session, i, "recall");
      // Three turns fit in the 300 tokens left for turns: nothing to summarise yet.
      assertTrue(chat.request().messages().stream().noneMatch(m -> m.content().startsWith(HistoryWindow.SUMMARY_PREFIX)));
    }
    ask(session, 4, "recall");
    assertTrue(journal().stream().noneMatch(e -> e instanceof SessionEntity.HistorySummarized));

    // The fifth: the first turn falls out of the window, and is summarised first, by the agent's model.
    IntentView fifth = submit(session, "question 5", "recall");
    LlmGateway.Chat summaryCall = nextChat();
    assertEquals("recall-model", summaryCall.request().model());
    assertEquals("local", summaryCall.request().provider());
    assertTrue(summaryCall.request().tools().isEmpty());
    assertEquals(100, summaryCall.request().maxOutputTokens());
    assertEquals(fifth.id() + "/summary", summaryCall.callKey());
    String input = summaryCall.request().messages().get(1).content();
    assertTrue(input.contains("user: question 1") && input.contains("assistant: answer 1 "), input);
    assertFalse(input.contains("question 2"), "only what fell out: " + input);
    llm.expectNoMessage(Duration.ofMillis(100)); // the run waits for its history
    reply(summaryCall, text("The user asked question 1 and got answer 1.", 30, 12));

    LlmGateway.Chat run = nextChat();
    List<ChatMessage> seen = historySeen(run);
    assertEquals(HistoryWindow.summaryMessage("The user asked question 1 and got answer 1."), seen.get(0));
    assertEquals(ChatMessage.user("question 2"), seen.get(1));
    assertEquals(7, seen.size());
    assertTrue(TokenEstimate.of(seen) <= 400);

    var summarized = journal().stream().filter(e -> e instanceof SessionEntity.HistorySummarized)
        .map(SessionEntity.HistorySummarized.class::cast).toList();
    assertEquals(1, summarized.size());
    assertEquals(fifth.id(), summarized.get(0).intentId());
    assertEquals("The user asked question 1 and got answer 1.", summarized.get(0).summary());
    assertEquals(2, summarized.get(0).through(), "it covers the first two messages");
    assertEquals(new IntentUsage(30, 12, 1, 0), summarized.get(0).usage());

    // The node stops while the run waits for the model; the session starts again from its journal.
    testKit.stop(session);
    var revived = session();
    LlmGateway.Chat resumed = nextChat();
    assertEquals(run.request().messages(), resumed.request().messages(), "the same history, summary included");
    assertEquals(fifth.id() + "/model-1", resumed.callKey(), "the loop's call: the summary was not asked again");
    reply(resumed, text("answer 5", 100, 5));
    IntentView done = await(revived, fifth.id());
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals(130, done.usage().inputTokens(), "the summary counts in the intent's usage");
    assertEquals(2, done.usage().modelCalls());
    var step = done.steps().stream().filter(s -> s.name().equals("summarize")).toList();
    assertTrue(step.isEmpty(), "the resumed run made no summary call: " + step);
    llm.expectNoMessage(Duration.ofMillis(100));

    TestProbe<StatusReply<SessionView>> view = testKit.createTestProbe();
    revived.tell(new SessionEntity.GetSession(view.getRef()));
    SessionView sessionView = view.receiveMessage().getValue();
    assertNotNull(sessionView.summary());
    assertEquals("The user asked question 1 and got answer 1.", sessionView.summary().text());
    assertEquals(ChatMessage.user("question " + (1 + sessionView.summary().coversMessages() / 2)),
        sessionView.messages().get((int) sessionView.summary().coversMessages()), "it covers the messages before");
  }

  @Test
  void theSummaryStepIsRecordedAndAFailedSummaryDropsTheOldTurnsWithoutJournalingOne() {
    var session = session();
    for (int i = 1; i <= 4; i++) ask(session, i, "recall");

    IntentView fifth = submit(session, "question 5", "recall");
    LlmGateway.Chat summaryCall = nextChat();
    assertTrue(summaryCall.request().tools().isEmpty());
    reply(summaryCall, LlmGateway.ChatResult.failed(LlmFailure.Code.UNAVAILABLE, "provider down"));

    LlmGateway.Chat run = nextChat();
    List<ChatMessage> seen = historySeen(run);
    assertEquals(ChatMessage.user("question 2"), seen.get(0), "no summary; the first turn is dropped");
    assertTrue(seen.stream().noneMatch(m -> m.role() == ChatMessage.Role.SYSTEM));
    reply(run, text("answer 5", 100, 5));
    IntentView done = await(session, fifth.id());
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    var step = done.steps().stream().filter(s -> s.name().equals("summarize")).findFirst().orElseThrow();
    assertEquals("model", step.kind());
    assertEquals("error", step.status());
    assertTrue(step.detail().path("error").asText().contains("provider down"), step.detail().toString());
    assertTrue(journal().stream().noneMatch(e -> e instanceof SessionEntity.HistorySummarized));
    assertEquals(1, done.usage().modelCalls());

    // The next intent tries again, with what has fallen out by then; this time it works, and shows as a step.
    IntentView sixth = submit(session, "question 6", "recall");
    LlmGateway.Chat again = nextChat();
    assertTrue(again.request().tools().isEmpty(), "a summary call");
    reply(again, text("Questions 1 and 2 were asked.", 40, 8));
    LlmGateway.Chat sixthRun = nextChat();
    assertEquals(HistoryWindow.summaryMessage("Questions 1 and 2 were asked."), historySeen(sixthRun).get(0));
    reply(sixthRun, text("answer 6", 100, 5));
    IntentView sixthDone = await(session, sixth.id());
    var ok = sixthDone.steps().stream().filter(s -> s.name().equals("summarize")).findFirst().orElseThrow();
    assertEquals("ok", ok.status());
    assertEquals(0, ok.seq());
    assertEquals(140, sixthDone.usage().inputTokens());
    assertNull(sixthDone.outcome().error());
  }

  @Test
  void anIntentCancelledWhileItsHistoryIsSummarisedEndsAndTheLateSummaryIsDropped() {
    var session = session();
    for (int i = 1; i <= 4; i++) ask(session, i, "recall");
    IntentView fifth = submit(session, "question 5", "recall");
    LlmGateway.Chat summaryCall = nextChat();
    assertTrue(summaryCall.request().tools().isEmpty(), "a summary call");

    TestProbe<StatusReply<IntentView>> cancel = testKit.createTestProbe();
    session.tell(new SessionEntity.Cancel(fifth.id(), cancel.getRef()));
    assertEquals(IntentStatus.CANCELLED, cancel.receiveMessage(Duration.ofSeconds(5)).getValue().status());
    reply(summaryCall, text("too late", 30, 3));
    llm.expectNoMessage(Duration.ofMillis(200)); // no run starts for the cancelled intent
    assertTrue(journal().stream().noneMatch(e -> e instanceof SessionEntity.HistorySummarized));

    // The session goes on: the next intent summarises (the same turns) and runs.
    IntentView sixth = submit(session, "question 6", "recall");
    LlmGateway.Chat again = nextChat();
    assertTrue(again.request().tools().isEmpty(), "a summary call");
    reply(again, text("Question 1 was asked.", 30, 5));
    LlmGateway.Chat run = nextChat();
    assertEquals(HistoryWindow.summaryMessage("Question 1 was asked."), historySeen(run).get(0));
    reply(run, text("answer 6", 10, 2));
    assertEquals(IntentStatus.SUCCEEDED, await(session, sixth.id()).status());
  }
}
