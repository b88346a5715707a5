package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.AgentTools;
import io.troupe.core.agent.ChildRun;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.TraceParent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The loop's branches for agents called as tools and for handoffs, with no actor. */
class AgentLoopTeamTest {

  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final List<ToolSpec> PLAN = List.of(new ToolSpec("calculator", "", Json.object()));

  private final List<Step> steps = new ArrayList<>();
  private final Map<String, AgentSpec> specs = Map.of(
      "router", AgentSpec.builder("router").instructions("You route.").agents(List.of("math", "clock"))
          .handoffs(List.of("billing")).maxSteps(6).build(),
      "math", AgentSpec.builder("math").description("Does sums").maxSteps(4).build(),
      "clock", AgentSpec.builder("clock").maxSteps(8).build(),
      "billing", AgentSpec.builder("billing").instructions("You bill.").maxSteps(5).build());

  private AgentLoop.Limits limitsOf(String name) {
    AgentSpec spec = specs.get(name);
    return new AgentLoop.Limits("", false, spec.maxSteps(), 2, spec.instructions(), 0, 0, 60_000, name, "", null, 0,
        null);
  }

  private AgentLoop loop(int depth, int maxDepth, AgentLoop.Resume resume) {
    return new AgentLoop("s.1", "Help me", TRACE, limitsOf("router"), List.of(), resume, tool -> false,
        new AgentLoop.Recorder() {
          @Override
          public void step(Step step) {
            steps.add(step);
          }

          @Override
          public void event(String type, JsonNode data) {}
        }).team(new AgentLoop.Team(specs::get, n -> specs.containsKey(n) ? limitsOf(n) : null, depth, maxDepth));
  }

  private static LlmGateway.ChatResult calls(ToolCall... calls) {
    return LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistantToolCalls("", List.of(calls)),
        new Usage(10, 5), FinishReason.TOOL_CALLS, "m", "p"));
  }

  private static ToolCall ask(String id, String agent, String input) {
    return new ToolCall(id, AgentTools.toolName(agent), Json.object().put("input", input));
  }

  private AgentLoop.CallModel started(AgentLoop loop) {
    assertInstanceOf(AgentLoop.CheckIntent.class, loop.start());
    return (AgentLoop.CallModel) loop.step(new AgentLoop.IntentChecked(Verdict.allow(), PLAN, List.of()));
  }

  @Test
  void theModelIsOfferedTheAgentsAsToolsAndTheHandoffs() {
    AgentLoop.CallModel first = started(loop(0, 3, null));
    List<String> names = first.request().tools().stream().map(ToolSpec::name).toList();
    assertEquals(List.of("calculator", "agent_math", "agent_clock", "transfer_to_billing"), names);
    ToolSpec math = first.request().tools().get(1);
    assertTrue(math.description().startsWith("Does sums"), math.description());
    assertEquals("string", math.parameters().at("/properties/input/type").asText());
  }

  @Test
  void twoAgentCallsRunAtOnceAsJournaledChildrenAndTheirResultsComeBackInCallOrder() {
    AgentLoop loop = loop(0, 3, null);
    started(loop);
    var decision = loop.step(new AgentLoop.ModelReplied(1, calls(ask("a", "math", "6*7"), ask("b", "clock", "now"))));
    // Agent calls are effects: the model's calls are journaled before any child starts.
    var checkpoint = assertInstanceOf(AgentLoop.Checkpoint.class, decision);
    var run = assertInstanceOf(AgentLoop.RunTools.class, checkpoint.then());
    assertEquals(List.of(0, 1), run.indices());
    assertEquals(Set.of("a", "b"), run.effectKeys().keySet());
    ChildRun math = run.children().get("a");
    assertEquals("math", math.agent());
    assertEquals(1, math.depth());
    assertEquals(4, math.maxSteps(), "the child's own max-steps, below what the parent has left (5)");
    assertEquals(5, run.children().get("b").maxSteps(), "what the parent has left, below the child's 8");
    TraceParent parent = TraceParent.parse(math.traceParent()).orElseThrow();
    assertEquals(TRACE, parent.traceId());

    loop.step(new AgentLoop.ToolsChecked(run.turn(), List.of(0, 1), List.of(Verdict.allow(), Verdict.allow())));
    // b ends first; the model still reads a, then b.
    IntentUsage childUsage = new IntentUsage(30, 10, 2, 1);
    assertEquals(AgentLoop.Wait.INSTANCE, loop.step(new AgentLoop.ToolResulted(run.turn(), 1,
        ToolResult.ok("b", "agent_clock", com.fasterxml.jackson.databind.node.TextNode.valueOf("noon")).withUsage(childUsage))));
    var next = (AgentLoop.CallModel) loop.step(new AgentLoop.ToolResulted(run.turn(), 0,
        ToolResult.ok("a", "agent_math", com.fasterxml.jackson.databind.node.TextNode.valueOf("42")).withUsage(childUsage)));
    List<ChatMessage> m = next.request().messages();
    assertEquals("\"42\"", m.get(m.size() - 2).content());
    assertEquals("\"noon\"", m.get(m.size() - 1).content());

    Step mathStep = steps.stream().filter(s -> s.kind().equals("tool") && s.name().equals("agent_math")).findFirst()
        .orElseThrow();
    assertEquals(parent.parentSpanId(), mathStep.spanId(), "the child's spans hang under the call's span");
    assertEquals(AgentTools.childIntent("s.1", run.effectKeys().get("a")), mathStep.detail().get("childIntentId").asText());
    assertEquals("math", mathStep.detail().get("agent").asText());
    // Both children's spending is the parent's: 1 model call + 2 + 2, and their tokens.
    assertEquals(6, next.call(), "one call of its own and the children's four before this one");
    assertEquals(10 + 5 + 80, loop.usage().totalTokens());
  }

  @Test
  void childStepsCountAgainstTheParentsBudgetAndItFailsMaxStepsOnceSpent() {
    AgentLoop loop = loop(0, 3, null); // router: 6 model calls
    started(loop);
    var run = (AgentLoop.RunTools) ((AgentLoop.Checkpoint) loop.step(new AgentLoop.ModelReplied(1,
        calls(ask("a", "math", "6*7"))))).then();
    loop.step(new AgentLoop.ToolsChecked(run.turn(), List.of(0), List.of(Verdict.allow())));
    var end = (AgentLoop.Finish) loop.step(new AgentLoop.ToolResulted(run.turn(), 0,
        ToolResult.ok("a", "agent_math", com.fasterxml.jackson.databind.node.TextNode.valueOf("42")).withUsage(new IntentUsage(1, 1, 5, 0))));
    assertEquals(IntentStatus.FAILED, end.status());
    assertEquals("max_steps", end.outcome().errorCode());
  }

  @Test
  void aCallDeeperThanTheMaximumIsNotRunAndTheModelReadsWhy() {
    AgentLoop loop = loop(3, 3, null); // already three levels down
    started(loop);
    var next = (AgentLoop.CallModel) loop.step(new AgentLoop.ModelReplied(1, calls(ask("a", "math", "6*7"))));
    String result = next.request().messages().get(next.request().messages().size() - 1).content();
    assertTrue(result.contains("not run: agents may call agents 3 level(s) deep"), result);
    assertTrue(result.contains("troupe.agent.max-agent-depth"), result);
    Step refused = steps.stream().filter(s -> s.kind().equals("tool")).findFirst().orElseThrow();
    assertEquals("error", refused.status());
  }

  @Test
  void aHandoffSwitchesTheAgentIsJournaledAndAsksForTheNewAgentsPlan() {
    AgentLoop loop = loop(0, 3, null);
    started(loop);
    var decision = loop.step(new AgentLoop.ModelReplied(1, calls(
        new ToolCall("h", "transfer_to_billing", Json.object().put("input", "a refund")),
        ask("a", "math", "6*7"))));
    var handOff = assertInstanceOf(AgentLoop.HandOff.class, decision);
    assertEquals("router", handOff.from());
    assertEquals("billing", handOff.to());
    assertEquals("h", handOff.callId());
    // The handoff turn is journaled with it: every call has a result, the other one did not run.
    var checkpoint = assertInstanceOf(AgentLoop.Checkpoint.class, handOff.then());
    assertEquals(3, checkpoint.messages().size());
    assertTrue(checkpoint.messages().get(1).content().contains("\"handoff\":\"billing\""));
    assertTrue(checkpoint.messages().get(2).content().contains("not run: the conversation was handed over"));
    assertInstanceOf(AgentLoop.CheckIntent.class, checkpoint.then());
    assertEquals("billing", loop.agent());

    var next = (AgentLoop.CallModel) loop.step(new AgentLoop.IntentChecked(Verdict.allow(), PLAN, List.of()));
    assertEquals("You bill.", next.request().messages().get(0).content(), "the new agent's instructions");
    assertEquals(List.of("calculator"), next.request().tools().stream().map(ToolSpec::name).toList(),
        "billing has no agents of its own to offer");
    assertEquals(0, next.newFrom(), "the guardrail checks the whole new call");
    Step step = steps.stream().filter(s -> s.kind().equals("handoff")).findFirst().orElseThrow();
    assertEquals("billing", step.name());
    assertEquals("router", step.detail().get("from").asText());
  }

  @Test
  void aHandoffToAnAgentNotListedIsAnOrdinaryCallTheGuardrailDecides() {
    AgentLoop loop = loop(0, 3, null);
    started(loop);
    var run = assertInstanceOf(AgentLoop.RunTools.class, loop.step(new AgentLoop.ModelReplied(1, calls(
        new ToolCall("h", "transfer_to_math", Json.object())))));
    assertEquals(List.of(0), run.indices());
  }

  @Test
  void aResumedRunSettlesAChildThatStartedWithTheSameKeyAndDoesNotRunAFinishedOneAgain() {
    AgentLoop first = loop(0, 3, null);
    started(first);
    var run = (AgentLoop.RunTools) ((AgentLoop.Checkpoint) first.step(new AgentLoop.ModelReplied(1,
        calls(ask("a", "math", "6*7"), ask("b", "clock", "now"))))).then();
    ChatMessage turn = ChatMessage.assistantToolCalls("", run.calls());
    // The crash: a's child finished and its result was journaled; b's started only.
    ChatMessage aDone = ChatMessage.toolResult("a", "agent_math", "\"42\"");
    var resume = new AgentLoop.Resume(List.of(turn), Set.of("a", "b"), Map.of("a", aDone), IntentUsage.NONE);
    AgentLoop resumed = loop(0, 3, resume);
    resumed.start();
    var again = assertInstanceOf(AgentLoop.RunTools.class,
        resumed.step(new AgentLoop.IntentChecked(Verdict.allow(), PLAN, List.of())));
    assertEquals(List.of(1), again.indices(), "a's child is not run again");
    assertEquals(List.of(1), again.reconcile(), "b's is settled: the same key finds the same child");
    assertEquals(run.effectKeys().get("b"), again.effectKeys().get("b"));
    assertNotNull(again.children().get("b"));
  }
}
