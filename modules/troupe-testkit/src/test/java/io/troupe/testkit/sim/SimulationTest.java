package io.troupe.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.session.IntentStatus;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SimulationTest {

  /** The seed of the big run; -Dtroupe.sim.seed=N replays another. */
  private static final long SEED = Long.getLong("troupe.sim.seed", 1L);

  @Test
  void tenThousandSimulatedIntentsKeepEveryInvariant() {
    Simulation.Report r = Simulation.builder().seed(SEED).sessions(500).settleEvery(1_000).intents(10_000)
        .approvalRate(0.05).build().run();
    System.out.println("simulation: " + r);
    assertEquals(10_000, r.submitted());
    assertEquals(10_000, r.accepted());
    assertEquals(r.accepted(), r.ended().values().stream().mapToInt(Integer::intValue).sum(), "every accepted intent ended");
    // The workload did what it says: crashes, cancellations, failures and tool calls all happened.
    assertTrue(r.crashes() > 100, r.toString());
    assertTrue(r.cancels() > 100, r.toString());
    assertTrue(r.ended().getOrDefault(IntentStatus.FAILED, 0) > 0, r.toString());
    assertTrue(r.ended().getOrDefault(IntentStatus.CANCELLED, 0) > 0, r.toString());
    assertTrue(r.toolCalls() > 10_000, r.toString());
    assertTrue(r.approved() > 100 && r.rejected() > 30 && r.timedOut() > 30, r.toString());
  }

  @Test
  void duplicatedModelDeliveriesBreakNoInvariant() {
    Simulation.Report r = Simulation.builder().seed(SEED + 1).sessions(100).settleEvery(500).intents(1_000)
        .duplicateModelDeliveries().build().run();
    System.out.println("simulation with duplicated model deliveries: " + r);
    assertEquals(r.accepted(), r.ended().values().stream().mapToInt(Integer::intValue).sum());
    assertTrue(r.modelRequests() >= 2 * r.accepted(), r.toString());
  }

  @Test
  void theWorkloadIsAPureFunctionOfTheSeed() {
    var a = Simulation.builder().seed(5).sessions(10).intents(500).build().events();
    var b = Simulation.builder().seed(5).sessions(10).intents(500).build().events();
    var c = Simulation.builder().seed(6).sessions(10).intents(500).build().events();
    assertEquals(a, b);
    assertNotEquals(a, c);
    Set<Class<?>> kinds = a.stream().map(Object::getClass).collect(Collectors.toSet());
    assertEquals(Set.of(SimEvent.Submit.class, SimEvent.Cancel.class, SimEvent.Crash.class, SimEvent.Advance.class,
        SimEvent.Settle.class), kinds);
    assertEquals(500, a.stream().filter(e -> e instanceof SimEvent.Submit).count());

    var withApprovals = Simulation.builder().seed(5).nodes(2).sessions(10).intents(500).approvalRate(0.2)
        .nodeCrashRate(0.02);
    assertEquals(withApprovals.build().events(), withApprovals.build().events());
    Set<Class<?>> more = withApprovals.build().events().stream().map(Object::getClass).collect(Collectors.toSet());
    assertTrue(more.containsAll(Set.of(SimEvent.Decide.class, SimEvent.NodeCrash.class)), more.toString());
  }

  @Test
  void approvalsAndNodeCrashesOnTwoNodesKeepEveryInvariant() {
    Simulation.Report r = Simulation.builder().seed(SEED + 2).nodes(2).sessions(30).settleEvery(150).intents(300)
        .approvalRate(0.2).nodeCrashRate(0.01).build().run();
    System.out.println("simulation with approvals and node crashes: " + r);
    assertEquals(r.accepted(), r.ended().values().stream().mapToInt(Integer::intValue).sum(), "every accepted intent ended");
    assertTrue(r.nodeCrashes() >= 2, r.toString());
    assertTrue(r.approved() > 5 && r.rejected() > 2 && r.timedOut() > 2, r.toString());
  }

  /**
   * Virtual time makes a run repeatable: without the events that race a run on purpose
   * (cancellations, crashes), the same seed ends every intent the same way, approvals included.
   */
  @Test
  void theSameSeedGivesTheSameOutcomeForEveryIntent() {
    Simulation.Builder sim = Simulation.builder().seed(11).sessions(20).settleEvery(120).intents(120)
        .cancelRate(0).crashRate(0).approvalRate(0.2).modelFaultRate(0.1);
    Simulation.Report first = sim.build().run();
    Simulation.Report second = sim.build().run();
    System.out.println("determinism: " + first + "\n  again: " + second);
    assertEquals(120, first.outcomes().size());
    assertEquals(first.outcomes(), second.outcomes());
    // Outcomes that hang on virtual time: failed model calls, approvals decided and timed out.
    assertTrue(first.approved() > 0 && first.timedOut() > 0 && first.ended().getOrDefault(IntentStatus.FAILED, 0) > 0,
        first.toString());
  }

  @Test
  void aGuardrailThatSettlesApprovedCallsWithoutRunningThemIsCaughtWithTheSeed() {
    Simulation sim = Simulation.builder().seed(9).sessions(10).settleEvery(50).intents(100).approvalRate(0.3)
        .decideRate(1).crashRate(0).cancelRate(0).maxShrinkRuns(2).faultyApprovedCalls().build();
    InvariantViolation v = assertThrows(InvariantViolation.class, sim::run);
    System.out.println(v.getMessage());
    assertEquals(Simulation.APPROVALS, v.invariant());
    assertEquals(9, v.seed());
    assertTrue(v.getMessage().contains("ran 0 times"), v.getMessage());
    assertTrue(v.prefix().stream().anyMatch(e -> e instanceof SimEvent.Decide d && d.approve()), "an approval is in the prefix");
  }

  @Test
  void aRegistryThatRunsAReconciledEffectAgainIsCaughtWithTheSeedAndAReplayablePrefix() {
    Simulation sim = Simulation.builder().seed(7).sessions(10).settleEvery(50).intents(300).crashRate(0.3)
        .faultyReconcile().build();
    InvariantViolation v = assertThrows(InvariantViolation.class, sim::run);
    System.out.println(v.getMessage());
    assertEquals(Simulation.ONCE, v.invariant());
    assertEquals(7, v.seed());
    assertTrue(v.getMessage().contains("seed=7"), v.getMessage());
    assertTrue(v.getMessage().contains("shortest reproducing prefix: " + v.prefix().size()), v.getMessage());
    assertTrue(v.prefix().size() < sim.events().size(), "the prefix is shorter than the workload");
    assertTrue(v.prefix().stream().anyMatch(e -> e instanceof SimEvent.Crash), "a crash is in the prefix");
    // The reported prefix breaks the invariant again. Crashes race the actors' threads, so a replay may
    // take another interleaving: it must reproduce within three tries.
    InvariantViolation again = null;
    for (int attempt = 0; attempt < 3 && again == null; attempt++) {
      try {
        sim.runPrefix(v.prefix().size());
      } catch (InvariantViolation e) {
        again = e;
      }
    }
    assertTrue(again != null, "the reported prefix did not break the invariant again in three replays");
    assertEquals(Simulation.ONCE, again.invariant());
  }
}
