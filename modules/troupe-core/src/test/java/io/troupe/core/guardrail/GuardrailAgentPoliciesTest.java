package io.troupe.core.guardrail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An agent's own policies check its intents, calls and answers after the node's, and no other agent's. */
@ExtendWith(TestKitJUnit5Extension.class)
class GuardrailAgentPoliciesTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<Guardrail.Answer> answers = testKit.createTestProbe();
  private final TestProbe<ToolResult> results = testKit.createTestProbe();

  /** Refunds above 100 need a person; the agent "refunds" has it, the others do not. */
  public static final class RefundsOverAHundred implements GuardrailPolicy {
    @Override
    public String name() {
      return "refunds-over-100";
    }

    @Override
    public Verdict check(GuardTarget target) {
      if (target.kind() == GuardTarget.Kind.TOOL_CALL && "refund".equals(target.tool())
          && Json.parse(target.text()).path("amount").asDouble() > 100) {
        return Verdict.deny(name(), "a refund above 100 needs a person");
      }
      if (target.kind() == GuardTarget.Kind.ANSWER && target.text().contains("guaranteed")) {
        return Verdict.deny(name(), "no guarantees");
      }
      return Verdict.allow();
    }
  }

  private ActorRef<Guardrail.Command> guardrail() {
    var troupe = ConfigFactory.parseString(
        "agents.refunds.policies = [\"" + RefundsOverAHundred.class.getName() + "\"]")
        .withFallback(ConfigFactory.load().getConfig("troupe"));
    Agents agents = Agents.get(testKit.system());
    AgentSpec.allFromConfig(troupe).forEach(agents::define);
    return testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(null, tools.getRef(), null)));
  }

  private Verdict route(ActorRef<Guardrail.Command> guardrail, String agent, double amount) {
    ToolCall call = new ToolCall("c1", "refund", Json.object().put("amount", amount));
    guardrail.tell(new Guardrail.RouteToolCalls(10, "s.1", "s", List.of(call), List.of(0), List.of(),
        Map.of("c1", "s.1/1/c1"), results.getRef(), answers.getRef(), Map.of(), agent));
    return ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0);
  }

  @Test
  void theAgentsOwnPolicyChecksOnlyItsCallsAndAnswers() {
    var guardrail = guardrail();
    Verdict refunds = route(guardrail, "refunds", 250);
    assertEquals("refunds-over-100", refunds.policy(), refunds.toString());
    assertTrue(!refunds.passes());
    assertTrue(route(guardrail, "refunds", 40).passes(), "under the limit");
    tools.expectMessageClass(ToolRegistry.Execute.class);
    assertTrue(route(guardrail, null, 250).passes(), "the default agent has no such policy");
    tools.expectMessageClass(ToolRegistry.Execute.class);

    guardrail.tell(new Guardrail.CheckAnswer(11, "s.1", "Delivery is guaranteed.", answers.getRef(), "refunds"));
    assertTrue(!((Guardrail.AnswerChecked) answers.receiveMessage()).verdict().passes());
    guardrail.tell(new Guardrail.CheckAnswer(12, "s.1", "Delivery is guaranteed.", answers.getRef()));
    assertTrue(((Guardrail.AnswerChecked) answers.receiveMessage()).verdict().passes());
  }

  @Test
  void anAgentsPoliciesAndBudgetComeFromItsSectionAndAreNotInherited() {
    var troupe = ConfigFactory.parseString("""
        agents.default.policies = ["%s"]
        agents.default.budget { max-tokens = 5000, max-cost-usd = 0.5 }
        agents.billing.description = "Answers billing questions"
        """.formatted(RefundsOverAHundred.class.getName())).withFallback(ConfigFactory.load().getConfig("troupe"));
    Map<String, AgentSpec> byName = new java.util.HashMap<>();
    AgentSpec.allFromConfig(troupe).forEach(a -> byName.put(a.name(), a));
    assertEquals(1, byName.get("default").policies().size());
    assertEquals(new AgentSpec.Budget(5000, 0.5), byName.get("default").budget());
    assertEquals(List.of(), byName.get("billing").policies());
    assertEquals(AgentSpec.Budget.NONE, byName.get("billing").budget());

    var bad = ConfigFactory.parseString("agents.billing.policies = [\"com.example.NoSuchPolicy\"]")
        .withFallback(ConfigFactory.load().getConfig("troupe"));
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> AgentSpec.allFromConfig(bad));
    assertTrue(e.getMessage().startsWith("agent 'billing': policies"), e.getMessage());
  }
}
