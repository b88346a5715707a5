package io.troupe.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionSettings;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * The runtime's real pipeline (guardrail and session entities) wired to a {@link ScriptedModel}
 * and a {@link FakeToolRegistry}, inside an {@link ActorTestKit} made with {@link #config()}:
 * virtual time and an in-memory journal. Methods that wait are for the test thread only.
 *
 * <pre>{@code
 * @JUnit5TestKit ActorTestKit kit = ActorTestKit.create(TestAgent.config());
 * TestAgent agent = TestAgent.start(kit, model, tools);
 * var session = agent.session("s1");
 * IntentView done = agent.run(session, "What is the weather in Oslo?");
 * }</pre>
 */
public final class TestAgent {

  private final ActorTestKit kit;
  private final ActorRef<Guardrail.Command> guardrail;
  private final ManualTime time;
  private SessionSettings settings;
  private ActorRef<Guardrail.Command> sessionGuardrail;

  private TestAgent(ActorTestKit kit, ActorRef<Guardrail.Command> guardrail) {
    this.kit = kit;
    this.guardrail = guardrail;
    this.sessionGuardrail = guardrail;
    this.time = ManualTime.get(kit.system());
    this.settings = SessionSettings.fromConfig(kit.system().settings().config().getConfig("troupe"));
  }

  /** ManualTime, Pekko's in-memory persistence testkit journal and snapshot store, then the runtime's defaults. */
  public static Config config() {
    return config(ConfigFactory.empty());
  }

  /** {@link #config()} under {@code overrides} (e.g. {@code troupe.agent.deadline = 30s}). */
  public static Config config(Config overrides) {
    return overrides.withFallback(ManualTime.config())
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.getInstance().config())
        .withFallback(ConfigFactory.load());
  }

  /** Spawns the guardrail (its settings and policies from {@code troupe.guardrail}), the model and the tools. */
  public static TestAgent start(ActorTestKit kit, ScriptedModel model, FakeToolRegistry tools) {
    return start(kit, kit.spawn(model.behavior()), kit.spawn(tools.behavior()));
  }

  /**
   * Spawns the guardrail in front of these: a spawned {@link ScriptedModel} and {@link
   * FakeToolRegistry}, possibly behind a link of {@link io.troupe.testkit.faults.Faults}.
   */
  public static TestAgent start(ActorTestKit kit, ActorRef<LlmGateway.Command> llm,
      ActorRef<ToolRegistry.Command> tools) {
    ActorRef<VectorStore.Command> vector = kit.spawn(Behaviors.<VectorStore.Command>ignore());
    var settings = GuardrailSettings.fromConfig(kit.system().settings().config().getConfig("troupe"));
    var guardrail = kit.spawn(Guardrail.create(settings, new Guardrail.Targets(llm, tools, vector)));
    return new TestAgent(kit, guardrail);
  }

  /**
   * Sessions spawned from now on reach the guardrail through {@code link} (e.g. {@code
   * g -> Faults.dropping(g, m -> m instanceof Guardrail.CheckIntent)}: a guardrail that times out).
   */
  public TestAgent withGuardrailLink(Function<ActorRef<Guardrail.Command>, Behavior<Guardrail.Command>> link) {
    this.sessionGuardrail = kit.spawn(link.apply(guardrail));
    return this;
  }

  /** Sessions spawned from now on use these settings. */
  public TestAgent withSettings(SessionSettings settings) {
    this.settings = settings;
    return this;
  }

  public SessionSettings settings() {
    return settings;
  }

  public ManualTime time() {
    return time;
  }

  public ActorRef<Guardrail.Command> guardrail() {
    return guardrail;
  }

  /** A session entity outside sharding, recovering from the journal under its id if there is one. */
  public ActorRef<SessionEntity.Command> session(String sessionId) {
    return kit.spawn(SessionEntity.create(sessionId, sessionGuardrail, settings));
  }

  /** Stops a session as a crashing node would, and starts it again from the same journal. */
  public ActorRef<SessionEntity.Command> restart(ActorRef<SessionEntity.Command> session, String sessionId) {
    kit.stop(session, Duration.ofSeconds(5));
    return session(sessionId);
  }

  /** Submits an intent and returns it as accepted (or throws with the session's error). */
  public IntentView submit(ActorRef<SessionEntity.Command> session, String text) {
    TestProbe<StatusReply<IntentView>> probe = kit.createTestProbe();
    session.tell(new SessionEntity.Submit(text, null, null, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  /**
   * Waits for the intent to end, advancing virtual time by {@code step} whenever nothing arrives
   * for a while (at most {@code maxSteps} times). Returns the ended intent.
   */
  public IntentView awaitEnd(ActorRef<SessionEntity.Command> session, String intentId, Duration step, int maxSteps) {
    Inbox<StatusReply<IntentView>> inbox = Inbox.create(kit);
    session.tell(new SessionEntity.AwaitTerminal(intentId, inbox.ref()));
    for (int i = 0; i <= maxSteps; i++) {
      StatusReply<IntentView> got = inbox.poll(Duration.ofMillis(50));
      if (got != null) {
        return got.getValue();
      }
      if (i < maxSteps) {
        time.timePasses(step);
      }
    }
    throw new AssertionError("intent " + intentId + " did not end within " + maxSteps + " steps of " + step);
  }

  /** Submits and waits for the end, with up to ten minutes of virtual time in one-second steps. */
  public IntentView run(ActorRef<SessionEntity.Command> session, String text) {
    IntentView accepted = submit(session, text);
    return awaitEnd(session, accepted.id(), Duration.ofSeconds(1), 600);
  }
}
