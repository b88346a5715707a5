package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.troupe.core.tools.ToolResult;
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

/** Named agents in a session: their instructions, model, tools and steps, and the agent in the journal. */
@ExtendWith(TestKitJUnit5Extension.class)
class SessionAgentsTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemoryJournal());

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
  private final TestProbe<Database.Command> database = testKit.createTestProbe();
  private final String sessionId = "s-" + UUID.randomUUID().toString().substring(0, 8);

  private static final AgentSpec CALC = AgentSpec.builder("calc")
      .description("Only calculates")
      .instructions("You only calculate.")
      .model("local", "calc-model").temperature(0.1).maxTokens(50)
      .tools(List.of("calculator"))
      .maxSteps(2)
      .build();

  private static final AgentSpec REPORT = AgentSpec.builder("report")
      .instructions("Answer as JSON.")
      .outputSchema("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},"
          + "\"required\":[\"answer\"],\"additionalProperties\":false}")
      .maxSteps(4)
      .build();

  private ActorRef<SessionEntity.Command> session() {
    var troupe = ConfigFactory.load().getConfig("troupe");
    ToolCatalogs catalogs = ToolCatalogs.get(testKit.system());
    if (catalogs.current().version() == 0) {
      catalogs.publish(List.of(new ToolSpec("calculator", "arithmetic", Json.object()),
              new ToolSpec("current_time", "time", Json.object())),
          Map.of("calculator", Tool.Effect.READ_ONLY, "current_time", Tool.Effect.READ_ONLY));
    }
    Agents.get(testKit.system()).define(CALC);
    Agents.get(testKit.system()).define(REPORT);
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
    return testKit.spawn(SessionEntity.create(sessionId, guardrail, SessionSettings.fromConfig(troupe)));
  }

  private StatusReply<IntentView> submit(ActorRef<SessionEntity.Command> session, String text, String agent) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit(text, null, null, probe.getRef(), null, agent));
    return probe.receiveMessage();
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

  /** An agent's budget bounds its intents below the node's (troupe.agent.max-cost-usd is 0: none). */
  @Test
  void anAgentsCostBudgetEndsItsRunAndNotAnotherAgents() {
    Agents.get(testKit.system()).define(AgentSpec.builder("frugal").budget(new AgentSpec.Budget(0, 0.01)).build());
    var session = session();
    var priced = new ChatResponse(ChatMessage.assistant("pricey"), new Usage(1000, 1000, 0.02), FinishReason.STOP,
        "m", "p");
    IntentView frugal = submit(session, "Spend", "frugal").getValue();
    reply(llm.expectMessageClass(LlmGateway.Chat.class), LlmGateway.ChatResult.ok(priced));
    IntentView done = await(session, frugal.id());
    assertEquals(IntentStatus.FAILED, done.status());
    assertEquals("max_cost", done.outcome().errorCode());

    IntentView free = submit(session, "Spend", "calc").getValue();
    reply(llm.expectMessageClass(LlmGateway.Chat.class), LlmGateway.ChatResult.ok(priced));
    assertEquals(IntentStatus.SUCCEEDED, await(session, free.id()).status());
  }

  @Test
  void anAgentBringsItsInstructionsModelAndToolsAndOthersAreDenied() {
    var session = session();
    IntentView accepted = submit(session, "What is 2+2 and the time?", "calc").getValue();

    var chat = llm.expectMessageClass(LlmGateway.Chat.class);
    var request = chat.request();
    assertEquals(ChatMessage.system("You only calculate."), request.messages().get(0));
    assertEquals(List.of("calculator"), request.tools().stream().map(ToolSpec::name).toList(), "only its tools are offered");
    assertEquals("local", request.provider());
    assertEquals("calc-model", request.model());
    assertEquals(0.1, request.temperature());
    assertEquals(50, request.maxOutputTokens());
    assertNull(request.output());

    // The model calls a tool outside the agent's list anyway: the guardrail denies it, nothing runs.
    reply(chat, toolCalls(new ToolCall("c1", "calculator", Json.parse("{\"expression\":\"2+2\"}")),
        new ToolCall("c2", "current_time", Json.parse("{}"))));
    var exec = tools.expectMessageClass(ToolRegistry.Execute.class);
    assertEquals("calculator", exec.call().name());
    exec.reply(ToolResult.ok("c1", "calculator", Json.object().put("result", 4)));
    tools.expectNoMessage(Duration.ofMillis(100));

    var second = llm.expectMessageClass(LlmGateway.Chat.class);
    ChatMessage denied = second.request().messages().get(second.request().messages().size() - 1);
    assertEquals("c2", denied.toolCallId());
    assertTrue(denied.content().contains("not among the tools of the agent 'calc'"), denied.content());
    reply(second, text("4; I cannot tell the time."));
    IntentView done = await(session, accepted.id());
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("calc", done.agent());
    assertTrue(done.steps().stream().anyMatch(s -> s.kind().equals("guardrail")
        && s.detail().path("tool").asText().equals("current_time") && s.status().equals("deny")));

    List<Object> journal = PersistenceTestKit.create(testKit.system()).persistedInStorage("Session|" + sessionId);
    assertEquals("calc", ((SessionEntity.IntentAccepted) journal.get(0)).agent(), "the agent is journaled");
  }

  @Test
  void anAgentsMaxStepsBoundsItsRun() {
    var session = session();
    IntentView accepted = submit(session, "Loop", "calc").getValue();
    reply(llm.expectMessageClass(LlmGateway.Chat.class), toolCalls(new ToolCall("c1", "calculator", Json.parse("{}"))));
    tools.expectMessageClass(ToolRegistry.Execute.class).reply(ToolResult.ok("c1", "calculator", Json.object()));
    reply(llm.expectMessageClass(LlmGateway.Chat.class), toolCalls(new ToolCall("c2", "calculator", Json.parse("{}"))));
    tools.expectMessageClass(ToolRegistry.Execute.class).reply(ToolResult.ok("c2", "calculator", Json.object()));
    IntentView done = await(session, accepted.id());
    assertEquals(IntentStatus.FAILED, done.status());
    assertEquals("max_steps", done.outcome().errorCode());
    llm.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anUnknownAgentIsRefusedAndTheMessageNamesTheAgentsThatExist() {
    var session = session();
    StatusReply<IntentView> reply = submit(session, "hello", "nope");
    assertTrue(reply.isError());
    String error = reply.getError().getMessage();
    assertEquals(Errors.INVALID_REQUEST, Errors.codeOf(error));
    assertTrue(error.contains("unknown agent 'nope'") && error.contains("default") && error.contains("calc"), error);
    llm.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void theDefaultAgentIsNotNamedInTheJournalAndOldEventsReplayAsDefault() {
    // An intent accepted by the release before named agents (no agent field) and running when its node stopped.
    String pid = "Session|" + sessionId;
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    long now = io.troupe.core.trace.TraceClock.nowEpochNanos();
    journal.persistForRecovery(pid, List.of(
        new SessionEntity.IntentAccepted(sessionId + ".1", "old question", null, null, "0af7651916cd43dd8448eb211c80319c",
            now),
        new SessionEntity.IntentStarted(sessionId + ".1", now)));
    var session = session();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class, Duration.ofSeconds(5));
    String defaultPrompt = ConfigFactory.load().getString("troupe.agent.system-prompt");
    assertEquals(ChatMessage.system(defaultPrompt), chat.request().messages().get(0), "it resumes as default");
    assertNull(chat.request().provider());
    assertFalse(chat.request().tools().isEmpty());
    reply(chat, text("old answer"));
    assertEquals("old answer", await(session, sessionId + ".1").outcome().answer());

    IntentView fresh = submit(session, "new question", null).getValue();
    reply(llm.expectMessageClass(LlmGateway.Chat.class), text("new answer"));
    await(session, fresh.id());
    List<Object> events = journal.persistedInStorage(pid);
    SessionEntity.IntentAccepted accepted = events.stream().filter(e -> e instanceof SessionEntity.IntentAccepted a
        && a.intentId().equals(fresh.id())).map(SessionEntity.IntentAccepted.class::cast).findFirst().orElseThrow();
    assertNull(accepted.agent(), "default is written as before");
    assertEquals(AgentSpec.DEFAULT, accepted.agentOrDefault());
  }

  @Test
  void anAgentWithAnOutputSchemaGetsOneRetryWithTheErrorsAndTheJsonIsTheOutcomesOutput() {
    var session = session();
    IntentView accepted = submit(session, "What is 2+2?", "report").getValue();
    var first = llm.expectMessageClass(LlmGateway.Chat.class);
    assertEquals(REPORT.outputSchema().json(), first.request().output().schema());
    assertEquals("report", first.request().output().name());
    reply(first, text("4"));
    var second = llm.expectMessageClass(LlmGateway.Chat.class);
    String feedback = second.request().messages().get(second.request().messages().size() - 1).content();
    assertTrue(feedback.startsWith("[output] Your answer does not match the required JSON Schema"), feedback);
    reply(second, text("{\"answer\":\"4\"}"));
    IntentView done = await(session, accepted.id());
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals(Json.parse("{\"answer\":\"4\"}"), done.outcome().output());
    assertEquals("{\"answer\":\"4\"}", done.outcome().answer());

    List<Object> journal = PersistenceTestKit.create(testKit.system()).persistedInStorage("Session|" + sessionId);
    var finished = (SessionEntity.IntentFinished) journal.get(journal.size() - 1);
    assertEquals(Json.parse("{\"answer\":\"4\"}"), finished.outcome().output(), "the output is journaled with the end");
  }

  @Test
  void anAnswerStillInvalidAfterTheRetryFailsTheIntent() {
    var session = session();
    IntentView accepted = submit(session, "What is 2+2?", "report").getValue();
    reply(llm.expectMessageClass(LlmGateway.Chat.class), text("4"));
    reply(llm.expectMessageClass(LlmGateway.Chat.class), text("{\"answer\":4}"));
    IntentView done = await(session, accepted.id());
    assertEquals(IntentStatus.FAILED, done.status());
    assertEquals("invalid_output", done.outcome().errorCode());
    assertTrue(done.outcome().error().contains("$.answer"), done.outcome().error());
    llm.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aDefaultAgentDefinedAsAnAgentReplacesTroupeAgentsPromptAndTools() {
    var session = session();
    Agents.get(testKit.system()).define(AgentSpec.builder(AgentSpec.DEFAULT).instructions("Be terse.")
        .tools(List.of("current_time")).build());
    IntentView accepted = submit(session, "What time is it?", null).getValue();
    var chat = llm.expectMessageClass(LlmGateway.Chat.class);
    assertEquals(ChatMessage.system("Be terse."), chat.request().messages().get(0));
    assertEquals(List.of("current_time"), chat.request().tools().stream().map(ToolSpec::name).toList());
    reply(chat, text("Noon."));
    assertEquals("default", await(session, accepted.id()).agentOrDefault());
  }
}
