package io.troupe.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.TestConfigs;
import io.troupe.core.db.Database;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class RuntimeSupervisorTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.manualTimeCluster());

  private final ManualTime manualTime = ManualTime.get(testKit.system());

  /** Makes the fake database throw, to test crash handling. */
  record Boom() implements Database.Command {}

  /** Fake subsystems forward everything to probes; the test answers Init by hand. */
  private final Map<String, TestProbe<Object>> probes = Map.of(
      Subsystems.LLM, testKit.createTestProbe(),
      Subsystems.TOOLS, testKit.createTestProbe(),
      Subsystems.VECTOR_STORE, testKit.createTestProbe(),
      Subsystems.DATABASE, testKit.createTestProbe());

  /** What a fake subsystem tells its probe when it starts (again, after a crash). */
  record Spawned(ActorRef<?> self) {}

  private static <T> Behavior<T> forwardingTo(TestProbe<Object> probe) {
    return Behaviors.setup(ctx -> {
      probe.getRef().tell(new Spawned(ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
      if (msg instanceof Boom) throw new IllegalStateException("disk on fire");
        probe.getRef().tell(msg);
        return Behaviors.same();
      });
    });
  }

  private final SubsystemFactories fakes = new SubsystemFactories() {
    public Behavior<Database.Command> database() { return forwardingTo(probes.get(Subsystems.DATABASE)); }
    public Behavior<VectorStore.Command> vectorStore() { return forwardingTo(probes.get(Subsystems.VECTOR_STORE)); }
    public Behavior<LlmGateway.Command> llmGateway() { return forwardingTo(probes.get(Subsystems.LLM)); }
    public Behavior<ToolRegistry.Command> toolRegistry(ActorRef<VectorStore.Command> v, ActorRef<Database.Command> d) {
      return forwardingTo(probes.get(Subsystems.TOOLS));
    }
  };

  private final TestProbe<RuntimeSupervisor.LifecycleEvent> lifecycle = testKit.createTestProbe();

  private ActorRef<RuntimeSupervisor.Command> startSupervisor() {
    return testKit.spawn(RuntimeSupervisor.create(fakes, testKit.system().settings().config().getConfig("troupe"),
        lifecycle.getRef()));
  }

  /** The next Init, past the start notice and any health check. */
  private Lifecycle.Init expectInit(String subsystem) {
    Object msg = probes.get(subsystem).receiveMessage();
    while (msg instanceof Spawned || msg instanceof Lifecycle.CheckHealth) msg = probes.get(subsystem).receiveMessage();
    return (Lifecycle.Init) msg;
  }

  private void awaitReady(ActorRef<RuntimeSupervisor.Command> supervisor) {
    lifecycle.awaitAssert(() -> {
      Readiness readiness = readiness(supervisor);
      assertTrue(readiness.ready(), readiness::toString);
      return null;
    });
  }

  private Readiness readiness(ActorRef<RuntimeSupervisor.Command> supervisor) {
    TestProbe<Readiness> probe = testKit.createTestProbe();
    supervisor.tell(new RuntimeSupervisor.GetReadiness(probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void sendsEveryInitBeforeAnyFinishes() {
    var supervisor = startSupervisor();
    // Every subsystem holds its Init unanswered: all four still arrive, so none waited for another.
    List<Lifecycle.Init> inits = new ArrayList<>();
    for (String name : List.of(Subsystems.DATABASE, Subsystems.VECTOR_STORE, Subsystems.LLM, Subsystems.TOOLS)) {
      inits.add(expectInit(name));
    }
    assertFalse(readiness(supervisor).ready());
    assertEquals("initializing", readiness(supervisor).subsystems().get(Subsystems.DATABASE).status());

    // The order of lifecycle events: four InitSent, and only then the first InitFinished.
    for (int i = 0; i < 4; i++) {
      assertInstanceOf(RuntimeSupervisor.InitSent.class, lifecycle.receiveMessage());
    }
    String[] names = {Subsystems.DATABASE, Subsystems.VECTOR_STORE, Subsystems.LLM, Subsystems.TOOLS};
    for (int i = 3; i >= 0; i--) {
      inits.get(i).replyTo().tell(Lifecycle.Initialized.ok(names[i]));
      var finished = lifecycle.expectMessageClass(RuntimeSupervisor.InitFinished.class);
      assertEquals(names[i], finished.subsystem());
    }
    Readiness ready = readiness(supervisor);
    assertTrue(ready.ready());
    ready.subsystems().values().forEach(s -> assertTrue(s.initMillis() != null && s.initMillis() >= 0));
  }

  @Test
  void reinitializesAFailedSubsystemWithBackoff() {
    var supervisor = startSupervisor();
    expectInit(Subsystems.LLM).replyTo().tell(Lifecycle.Initialized.ok(Subsystems.LLM));
    expectInit(Subsystems.TOOLS).replyTo().tell(Lifecycle.Initialized.ok(Subsystems.TOOLS));
    expectInit(Subsystems.VECTOR_STORE).replyTo().tell(Lifecycle.Initialized.ok(Subsystems.VECTOR_STORE));
    expectInit(Subsystems.DATABASE).replyTo().tell(Lifecycle.Initialized.failed(Subsystems.DATABASE, "connection refused"));

    lifecycle.fishForMessage(Duration.ofSeconds(3), e -> e instanceof RuntimeSupervisor.Down
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    Readiness down = readiness(supervisor);
    assertFalse(down.ready());
    assertEquals("down", down.subsystems().get(Subsystems.DATABASE).status());
    assertEquals("init failed: connection refused", down.subsystems().get(Subsystems.DATABASE).error());

    // No retry before the backoff (1 s, +20% jitter at most) has passed.
    probes.get(Subsystems.DATABASE).expectNoMessage(Duration.ofMillis(50));
    manualTime.expectNoMessageFor(Duration.ofMillis(900), probes.get(Subsystems.DATABASE));
    manualTime.timePasses(Duration.ofMillis(400));
    expectInit(Subsystems.DATABASE).replyTo().tell(Lifecycle.Initialized.ok(Subsystems.DATABASE));
    lifecycle.fishForMessage(Duration.ofSeconds(3), e -> e instanceof RuntimeSupervisor.InitFinished f && f.error() == null
        && f.subsystem().equals(Subsystems.DATABASE)
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    assertTrue(readiness(supervisor).ready());
  }

  @Test
  void restartsACrashedSubsystemAndSaysWhy() {
    var supervisor = startSupervisor();
    @SuppressWarnings("unchecked")
    var database = (ActorRef<Database.Command>) probes.get(Subsystems.DATABASE).expectMessageClass(Spawned.class).self();
    for (String name : probes.keySet()) {
      expectInit(name).replyTo().tell(Lifecycle.Initialized.ok(name));
    }
    awaitReady(supervisor);
    // The database crashes: readiness names it and the cause; it is initialized again after the backoff.
    database.tell(new Boom());
    RuntimeSupervisor.Down down = (RuntimeSupervisor.Down) lifecycle.fishForMessage(Duration.ofSeconds(3),
        e -> e instanceof RuntimeSupervisor.Down
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(Subsystems.DATABASE, down.subsystem());
    assertEquals("crashed: IllegalStateException: disk on fire", down.error());
    assertEquals("down", readiness(supervisor).subsystems().get(Subsystems.DATABASE).status());
    probes.get(Subsystems.DATABASE).expectMessageClass(Spawned.class);
    manualTime.timePasses(Duration.ofMillis(1300));
    expectInit(Subsystems.DATABASE).replyTo().tell(Lifecycle.Initialized.ok(Subsystems.DATABASE));
    awaitReady(supervisor);
  }

  @Test
  void reportsTheDatabaseDownWhileItsHealthCheckFailsAndReadyOnceItPassesWithoutReinitializing() {
    var supervisor = startSupervisor();
    for (String name : probes.keySet()) {
      expectInit(name).replyTo().tell(Lifecycle.Initialized.ok(name));
    }
    awaitReady(supervisor);
    TestProbe<Object> database = probes.get(Subsystems.DATABASE);

    manualTime.timePasses(Duration.ofSeconds(1));
    database.expectMessageClass(Lifecycle.CheckHealth.class).replyTo()
        .tell(new Lifecycle.Health("Connection to 127.0.0.1:5432 refused"));
    lifecycle.fishForMessage(Duration.ofSeconds(3), e -> e instanceof RuntimeSupervisor.Down
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    Readiness down = readiness(supervisor);
    assertFalse(down.ready());
    assertEquals("down", down.subsystems().get(Subsystems.DATABASE).status());
    assertEquals("health check failed: Connection to 127.0.0.1:5432 refused",
        down.subsystems().get(Subsystems.DATABASE).error());

    // Still checked while down, and not initialized again: the subsystem itself is fine.
    manualTime.timePasses(Duration.ofSeconds(1));
    database.expectMessageClass(Lifecycle.CheckHealth.class).replyTo().tell(Lifecycle.Health.ok());
    lifecycle.fishForMessage(Duration.ofSeconds(3), e -> e instanceof RuntimeSupervisor.Healthy
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    assertTrue(readiness(supervisor).ready());
    assertEquals(1, readiness(supervisor).subsystems().get(Subsystems.DATABASE).attempts());
  }

  @Test
  void aHealthCheckWithoutAnAnswerChangesNothing() {
    var supervisor = startSupervisor();
    for (String name : probes.keySet()) {
      expectInit(name).replyTo().tell(Lifecycle.Initialized.ok(name));
    }
    awaitReady(supervisor);
    manualTime.timePasses(Duration.ofSeconds(1));
    probes.get(Subsystems.DATABASE).expectMessageClass(Lifecycle.CheckHealth.class); // never answered
    manualTime.timePasses(Duration.ofSeconds(5));
    assertTrue(readiness(supervisor).ready());
  }
}
