package io.troupe.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.llm.LlmGateway;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.session.EventStream;
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
    // A test's actor system never ends the JVM, whatever an application.conf on the classpath says
    // (the node's sets exit-jvm = on).
    return overrides.withFallback(ConfigFactory.parseString(
            "pekko.coordinated-shutdown.exit-jvm = off\npekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"))
        .withFallback(ManualTime.config())
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

  /** The kit this agent runs in: one node of a {@link io.troupe.testkit.nodes.TestNodes}, or the test's own. */
  public ActorTestKit kit() {
    return kit;
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

  /** A tool call that waits for a person, as its {@code approval.requested} event names it. */
  public record ApprovalRequest(String intentId, String approvalId, String callId, String tool, String reason) {}

  /**
   * Waits until the intent asks for an approval, advancing virtual time by {@code step} whenever
   * nothing arrives for 50 ms (at most {@code maxSteps} times; a zero step only waits, so that a
   * short approval timeout cannot pass), and returns the first request made after {@code afterSeq}
   * (0: any). Fails if the intent ends first.
   */
  public ApprovalRequest awaitApprovalRequested(ActorRef<SessionEntity.Command> session, String intentId,
      long afterSeq, Duration step, int maxSteps) {
    Inbox<EventStream.Message> events = Inbox.create(kit);
    session.tell(new SessionEntity.Subscribe(intentId, afterSeq, events.ref()));
    int steps = 0;
    for (int seen = 0; seen < 10_000 && steps <= maxSteps; ) {
      EventStream.Message m = events.poll(Duration.ofMillis(50));
      if (m == null) {
        if (steps++ < maxSteps) time.timePasses(step);
        continue;
      }
      seen++;
      if (m instanceof EventStream.Item item && item.event().type().equals("approval.requested")) {
        JsonNode d = item.event().data();
        return new ApprovalRequest(intentId, d.path("approvalId").asText(), d.path("callId").asText(),
            d.path("tool").asText(), d.path("reason").asText());
      }
      if (!(m instanceof EventStream.Item)) {
        throw new AssertionError("intent " + intentId + " asked for no approval before it ended (" + m + ")");
      }
    }
    throw new AssertionError("intent " + intentId + " asked for no approval within " + maxSteps + " steps of " + step);
  }

  /** {@link #awaitApprovalRequested(ActorRef, String, long, Duration, int)} with up to a minute of virtual time. */
  public ApprovalRequest awaitApprovalRequested(ActorRef<SessionEntity.Command> session, String intentId) {
    return awaitApprovalRequested(session, intentId, 0, Duration.ofSeconds(1), 60);
  }

  /** A person's decision, as {@code POST /v1/intents/{id}/approvals} sends it: the intent back, or an error (404, 409). */
  public StatusReply<IntentView> decide(ActorRef<SessionEntity.Command> session, String intentId, String approvalId,
      boolean approve, String comment) {
    TestProbe<StatusReply<IntentView>> probe = kit.createTestProbe();
    session.tell(new SessionEntity.DecideApproval(intentId, approvalId, approve, comment, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  /** Approves and returns the intent (throws with the session's error). */
  public IntentView approve(ActorRef<SessionEntity.Command> session, ApprovalRequest request) {
    return decide(session, request.intentId(), request.approvalId(), true, null).getValue();
  }

  /** Rejects with a comment and returns the intent (throws with the session's error). */
  public IntentView reject(ActorRef<SessionEntity.Command> session, ApprovalRequest request, String comment) {
    return decide(session, request.intentId(), request.approvalId(), false, comment).getValue();
  }

  /** The intent as the session has it now. */
  public IntentView get(ActorRef<SessionEntity.Command> session, String intentId) {
    TestProbe<StatusReply<IntentView>> probe = kit.createTestProbe();
    session.tell(new SessionEntity.Get(intentId, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getValue();
  }

  /** Submits and waits for the end, with up to ten minutes of virtual time in one-second steps. */
  public IntentView run(ActorRef<SessionEntity.Command> session, String text) {
    IntentView accepted = submit(session, text);
    return awaitEnd(session, accepted.id(), Duration.ofSeconds(1), 600);
  }
}
