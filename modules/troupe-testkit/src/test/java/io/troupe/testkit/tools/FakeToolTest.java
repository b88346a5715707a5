package io.troupe.testkit.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class FakeToolTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  private final ManualTime time = ManualTime.get(kit.system());
  private final TestProbe<ToolResult> results = kit.createTestProbe();

  private static ToolCall call(String id, String tool) {
    return new ToolCall(id, tool, Json.object().put("x", 1));
  }

  private static ToolContext ctx(String intent, String callId) {
    return new ToolContext(intent, "s", callId, intent + "/1/" + callId);
  }

  @Test
  void publishesItsCatalogWithEffectClasses() {
    var registry = FakeToolRegistry.of(FakeTool.readOnly("lookup"), FakeTool.sideEffecting("charge"));
    var ref = kit.spawn(registry.behavior());
    TestProbe<ToolRegistry.ToolList> list = kit.createTestProbe();
    ref.tell(new ToolRegistry.ListTools(list.getRef()));
    ToolRegistry.ToolList tools = list.receiveMessage();
    assertEquals(List.of("lookup", "charge"), tools.tools().stream().map(t -> t.name()).toList());
    assertTrue(tools.isSideEffecting("charge"));
    var catalog = ToolCatalogs.get(kit.system()).current();
    assertEquals(2, catalog.tools().size());
    assertEquals(Tool.Effect.SIDE_EFFECTING, registry.tool("charge").effect());
  }

  @Test
  void latencyAndTimeoutRunOnVirtualTimeAndFailuresAreErrorResults() {
    FakeTool slow = FakeTool.readOnly("slow").withLatency(Duration.ofSeconds(3));
    FakeTool flaky = FakeTool.readOnly("flaky").failingFirst(1, "boom");
    FakeTool stuck = FakeTool.readOnly("stuck").withLatency(Duration.ofHours(1));
    var ref = kit.spawn(FakeToolRegistry.of(slow, flaky, stuck).withTimeout(Duration.ofSeconds(10)).behavior());

    ref.tell(new ToolRegistry.Execute(11, call("c1", "slow"), ctx("i1", "c1"), results.getRef()));
    time.timePasses(Duration.ofMillis(2999));
    results.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    ToolResult done = results.receiveMessage();
    assertEquals(11, done.corr());
    assertEquals("c1", done.callId());
    assertEquals(true, done.output().get("ok").asBoolean());

    ref.tell(new ToolRegistry.Execute(12, call("c2", "flaky"), ctx("i1", "c2"), results.getRef()));
    assertEquals("boom", results.receiveMessage().error());
    ref.tell(new ToolRegistry.Execute(13, call("c3", "flaky"), ctx("i1", "c3"), results.getRef()));
    assertTrue(!results.receiveMessage().isError(), "only the first call fails");

    ref.tell(new ToolRegistry.Execute(14, call("c4", "stuck"), ctx("i1", "c4"), results.getRef()));
    time.timePasses(Duration.ofSeconds(10));
    ToolResult timedOut = results.receiveMessage();
    assertEquals(14, timedOut.corr());
    assertTrue(timedOut.error().contains("timed out"), timedOut.error());

    ref.tell(new ToolRegistry.Execute(15, call("c5", "nope"), ctx("i1", "c5"), results.getRef()));
    assertTrue(results.receiveMessage().error().contains("unknown tool"));
    assertEquals(2, flaky.calls().size());
  }

  @Test
  void aGatedCallWaitsUntilTheTestReleasesIt() {
    TestProbe<FakeTool.Call> seen = kit.createTestProbe();
    FakeTool gate = FakeTool.readOnly("gate").blockingUntilReleased();
    FakeToolRegistry registry = FakeToolRegistry.of(gate).observedBy(seen.getRef());
    var ref = kit.spawn(registry.behavior());
    ref.tell(new ToolRegistry.Execute(1, call("c1", "gate"), ctx("i1", "c1"), results.getRef()));
    ref.tell(new ToolRegistry.Execute(2, call("c2", "gate"), ctx("i1", "c2"), results.getRef()));
    assertEquals("c1", seen.receiveMessage().context().callId());
    assertEquals("c2", seen.receiveMessage().context().callId());
    time.timePasses(Duration.ofSeconds(5));
    results.expectNoMessage(Duration.ofMillis(100));
    registry.release("gate");
    assertEquals(List.of(1L, 2L), results.receiveSeveralMessages(2).stream().map(ToolResult::corr).sorted().toList());
  }

  @Test
  void aReconciledSideEffectIsSettledByItsKeyAndNeverRunsTwice() {
    FakeTool charge = FakeTool.sideEffecting("charge").withLatency(Duration.ofSeconds(2));
    FakeToolRegistry registry = FakeToolRegistry.of(charge);
    var ref = kit.spawn(registry.behavior());
    TestProbe<ToolResult> dead = kit.createTestProbe();
    // Started before a crash; the revived session reconciles while it still runs.
    ref.tell(new ToolRegistry.Execute(1, call("c1", "charge"), ctx("i1", "c1"), dead.getRef()));
    ref.tell(new ToolRegistry.Reconcile(2, call("c1", "charge"), ctx("i1", "c1"), results.getRef()));
    time.timePasses(Duration.ofSeconds(2));
    assertEquals(2, results.receiveMessage().corr());
    // Once more after it finished: answered from the ledger.
    ref.tell(new ToolRegistry.Reconcile(3, call("c1", "charge"), ctx("i1", "c1"), results.getRef()));
    assertEquals(3, results.receiveMessage().corr());
    // A call that never arrived runs on reconciliation.
    ref.tell(new ToolRegistry.Reconcile(4, call("c2", "charge"), ctx("i1", "c2"), results.getRef()));
    time.timePasses(Duration.ofSeconds(2));
    assertEquals(4, results.receiveMessage().corr());

    assertEquals(1, charge.executions("i1/1/c1"));
    assertEquals(1, charge.executions("i1/1/c2"));
    assertEquals(List.of(), registry.effectsRunTwice());
    assertEquals(4, charge.calls().size());
  }

  @Test
  void theDeliberatelyWrongRegistryRunsAReconciledEffectAgain() {
    FakeTool charge = FakeTool.sideEffecting("charge");
    FakeToolRegistry registry = FakeToolRegistry.of(charge).reconcileByRunningAgain();
    var ref = kit.spawn(registry.behavior());
    ref.tell(new ToolRegistry.Execute(1, call("c1", "charge"), ctx("i1", "c1"), results.getRef()));
    ref.tell(new ToolRegistry.Reconcile(2, call("c1", "charge"), ctx("i1", "c1"), results.getRef()));
    results.receiveSeveralMessages(2);
    assertEquals(List.of("charge i1/1/c1"), registry.effectsRunTwice());
  }

  @Test
  void aSessionCrashedMidEffectResumesFromItsJournalWithoutRunningTheEffectAgain() {
    TestProbe<FakeTool.Call> seen = kit.createTestProbe();
    FakeTool charge = FakeTool.sideEffecting("charge").blockingUntilReleased()
        .returning(args -> Json.object().put("charged", 5));
    FakeToolRegistry registry = FakeToolRegistry.of(charge).observedBy(seen.getRef());
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResultFrom("charge"), Reply.text("charged"))
        .when(Requests.any(), Reply.callTool("charge", "{\"amount\":5}"));
    TestAgent agent = TestAgent.start(kit, model, registry);

    var session = agent.session("s-crash");
    IntentView accepted = agent.submit(session, "charge me 5");
    FakeTool.Call first = seen.receiveMessage();
    assertTrue(!first.reconcile());
    var revived = agent.restart(session, "s-crash");
    FakeTool.Call again = seen.receiveMessage();
    assertTrue(again.reconcile(), "the revived run reconciles the effect instead of running it");
    assertEquals(first.context().idempotencyKey(), again.context().idempotencyKey());
    registry.release("charge");

    IntentView done = agent.awaitEnd(revived, accepted.id(), Duration.ofSeconds(1), 60);
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("charged", done.outcome().answer());
    assertEquals(1, charge.executions(first.context().idempotencyKey()));
  }
}
