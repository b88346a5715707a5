package io.troupe.core.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.TestConfigs;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The agents are checked against the tools once the registry has published them; a bad one stops the start. */
@ExtendWith(TestKitJUnit5Extension.class)
class StartAgentsCheckTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemoryJournal());

  private final TestProbe<Object> tools = testKit.createTestProbe();
  private final TestProbe<RuntimeSupervisor.LifecycleEvent> lifecycle = testKit.createTestProbe();

  private static <T> Behavior<T> forwardingTo(TestProbe<Object> probe) {
    return Behaviors.receiveMessage(msg -> {
      probe.getRef().tell(msg);
      return Behaviors.same();
    });
  }

  private static <T> Behavior<T> idle() {
    return Behaviors.ignore();
  }

  private final SubsystemFactories fakes = new SubsystemFactories() {
    public Behavior<Database.Command> database() { return idle(); }
    public Behavior<VectorStore.Command> vectorStore() { return idle(); }
    public Behavior<LlmGateway.Command> llmGateway() { return idle(); }
    public Behavior<ToolRegistry.Command> toolRegistry(ActorRef<VectorStore.Command> v, ActorRef<Database.Command> d) {
      return forwardingTo(tools);
    }
  };

  private ActorRef<RuntimeSupervisor.Command> startWithTools(String... names) {
    ToolCatalogs.get(testKit.system()).publish(
        java.util.Arrays.stream(names).map(n -> new ToolSpec(n, n, Json.object())).toList(),
        java.util.Arrays.stream(names).collect(java.util.stream.Collectors.toMap(n -> n, n -> Tool.Effect.READ_ONLY)));
    var supervisor = testKit.spawn(RuntimeSupervisor.create(fakes,
        testKit.system().settings().config().getConfig("troupe"), lifecycle.getRef()));
    Lifecycle.Init init = (Lifecycle.Init) tools.receiveMessage();
    init.replyTo().tell(Lifecycle.Initialized.ok(Subsystems.TOOLS));
    return supervisor;
  }

  @Test
  void anAgentNamingAnUnknownToolStopsTheStartWithAMessageNamingTheAgentAndTheField() {
    Agents.get(testKit.system()).define(AgentSpec.builder("support").tools(List.of("calculator", "sql_qery")).build());
    var supervisor = startWithTools("calculator", "sql_query");
    List<RuntimeSupervisor.LifecycleEvent> events = lifecycle.fishForMessage(java.time.Duration.ofSeconds(3),
        e -> e instanceof RuntimeSupervisor.StartFailed
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    var failed = (RuntimeSupervisor.StartFailed) events.get(events.size() - 1);
    assertTrue(failed.error().startsWith("agent 'support': tools: unknown tool 'sql_qery'"), failed.error());
    lifecycle.expectTerminated(supervisor);
  }

  @Test
  void anAgentNamingAnUnknownAgentInAgentsOrHandoffsStopsTheStartNamingTheAgentAndTheField() {
    Agents.get(testKit.system()).define(AgentSpec.builder("support").agents(List.of("bilingg"))
        .handoffs(List.of("refunds")).build());
    var supervisor = startWithTools("calculator");
    List<RuntimeSupervisor.LifecycleEvent> events = lifecycle.fishForMessage(java.time.Duration.ofSeconds(3),
        e -> e instanceof RuntimeSupervisor.StartFailed
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    var failed = (RuntimeSupervisor.StartFailed) events.get(events.size() - 1);
    assertTrue(failed.error().contains("agent 'support': agents: unknown agent 'bilingg'"), failed.error());
    assertTrue(failed.error().contains("agent 'support': handoffs: unknown agent 'refunds'"), failed.error());
    lifecycle.expectTerminated(supervisor);
  }

  @Test
  void agentsWhoseToolsExistStartAsUsual() {
    Agents.get(testKit.system()).define(AgentSpec.builder("support").tools(List.of("calculator")).build());
    startWithTools("calculator", "sql_query");
    lifecycle.fishForMessage(java.time.Duration.ofSeconds(3), e -> e instanceof RuntimeSupervisor.InitFinished f
        && f.subsystem().equals(Subsystems.TOOLS)
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    lifecycle.expectNoMessage(java.time.Duration.ofMillis(200));
  }
}
