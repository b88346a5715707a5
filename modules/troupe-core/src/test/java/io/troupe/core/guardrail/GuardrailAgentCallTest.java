package io.troupe.core.guardrail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.agent.AgentCall;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.AgentTools;
import io.troupe.core.agent.Agents;
import io.troupe.core.agent.ChildRun;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.TraceParent;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An agent called as a tool: the guardrail checks the call, and what it allows runs as a child intent. */
@ExtendWith(TestKitJUnit5Extension.class)
class GuardrailAgentCallTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
  private final TestProbe<Guardrail.Answer> answers = testKit.createTestProbe();
  private final TestProbe<ToolResult> results = testKit.createTestProbe();
  private final TestProbe<SessionEntity.Command> sessions = testKit.createTestProbe();
  private final List<String> sessionIds = new java.util.concurrent.CopyOnWriteArrayList<>();

  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private ActorRef<Guardrail.Command> guardrail(String overrides) {
    Agents agents = Agents.get(testKit.system());
    agents.define(AgentSpec.builder("router").tools(List.of()).agents(List.of("math")).build());
    agents.define(AgentSpec.builder("math").build());
    var config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).getConfig("troupe");
    return testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(config),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef()), id -> {
          sessionIds.add(id);
          return sessions.getRef();
        }));
  }

  private void route(ActorRef<Guardrail.Command> guardrail, String agent, ToolCall call) {
    guardrail.tell(new Guardrail.RouteToolCalls(200, "s.3", "s", List.of(call), List.of(0), List.of(),
        Map.of(call.id(), "s.3/1/" + call.id()), results.getRef(), answers.getRef(), Map.of(), agent,
        Map.of(call.id(), new ChildRun("math", TRACEPARENT, 1, 4))));
  }

  @Test
  void anAllowedAgentCallSubmitsTheChildIntentAndItsAnswerIsTheToolResult() {
    var guardrail = guardrail("");
    ToolCall call = new ToolCall("c1", "agent_math", Json.object().put("input", "What is 6 * 7?"));
    route(guardrail, "router", call);
    assertTrue(((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0).isAllow());

    var submit = sessions.expectMessageClass(SessionEntity.SubmitAndWait.class);
    assertEquals(List.of(AgentTools.childSession("s.3", "s.3/1/c1")), sessionIds, "a session of its own");
    assertEquals("What is 6 * 7?", submit.text());
    assertEquals("math", submit.agent());
    assertEquals("s.3/1/c1", submit.idempotencyKey(), "a second submit (a resume) finds the same child");
    assertEquals(TraceParent.parse(TRACEPARENT).orElseThrow(), submit.traceParent(), "the child joins the call's span");
    var parent = submit.metadata().get(AgentCall.METADATA_KEY);
    assertEquals("s.3", parent.get("intentId").asText());
    assertEquals(1, parent.get("depth").asInt());
    assertEquals(4, parent.get("maxSteps").asInt());
    tools.expectNoMessage(Duration.ZERO); // not the registry's

    IntentUsage spent = new IntentUsage(20, 10, 2, 1);
    submit.replyTo().tell(StatusReply.success(new IntentView("x.1", "x", IntentStatus.SUCCEEDED, "What is 6 * 7?",
        null, 1, 2, Outcome.answered("42"), List.of(), spent, null)));
    ToolResult result = results.receiveMessage();
    assertEquals(200, result.corr());
    assertEquals("c1", result.callId());
    assertEquals("\"42\"", result.contentForModel());
    assertEquals(spent, result.usage(), "the child's spending goes back to the parent");
  }

  @Test
  void aFailedChildIsAFailedToolResultTheModelCanRead() {
    var guardrail = guardrail("");
    ToolCall call = new ToolCall("c1", "agent_math", Json.object().put("input", "x"));
    route(guardrail, "router", call);
    answers.receiveMessage();
    var submit = sessions.expectMessageClass(SessionEntity.SubmitAndWait.class);
    submit.replyTo().tell(StatusReply.success(new IntentView("x.1", "x", IntentStatus.FAILED, "x", null, 1, 2,
        Outcome.failed("max_steps", "The run reached its limit of 4 model calls.", "simplify_request"), List.of(),
        IntentUsage.NONE, null)));
    ToolResult result = results.receiveMessage();
    assertTrue(result.isError());
    assertTrue(result.error().contains("the agent 'math' ended failed (max_steps"), result.error());
  }

  @Test
  void anAgentTheCallerDoesNotListIsDeniedAndNothingRuns() {
    var guardrail = guardrail("");
    ToolCall call = new ToolCall("c1", "agent_router", Json.object().put("input", "x"));
    guardrail.tell(new Guardrail.RouteToolCalls(200, "s.3", "s", List.of(call), List.of(0), List.of(), Map.of(),
        results.getRef(), answers.getRef(), Map.of(), "math"));
    Verdict v = ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0);
    assertEquals(Verdict.Kind.DENY, v.kind());
    assertTrue(v.reason().contains("not among the agents the agent 'math' may call"), v.reason());
    sessions.expectNoMessage(Duration.ofMillis(50));
    results.expectNoMessage(Duration.ZERO);
  }

  @Test
  void theGuardrailsPoliciesApplyToAnAgentCallAsToAnyToolCall() {
    var guardrail = guardrail(""); // the default deny-patterns refuse `rm -rf`
    route(guardrail, "router", new ToolCall("c1", "agent_math", Json.object().put("input", "then rm -rf / please")));
    Verdict v = ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0);
    assertEquals(Verdict.Kind.DENY, v.kind(), v.toString());
    sessions.expectNoMessage(Duration.ofMillis(50));
  }
}
