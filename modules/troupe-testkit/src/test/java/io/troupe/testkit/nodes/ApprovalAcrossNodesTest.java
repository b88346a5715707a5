package io.troupe.testkit.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.session.Errors;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.testkit.Inbox;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.sim.Histories;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's durable pause, across nodes: a run paused for approval on node A survives A's death,
 * and node B, on the same journal, decides it. Everything runs under virtual time.
 */
class ApprovalAcrossNodesTest {

  private static final String SESSION = "billing-1";
  private static final Duration APPROVAL_TIMEOUT = Duration.ofMinutes(10);

  private final FakeTool invoice = FakeTool.sideEffecting("send_invoice").withLatency(Duration.ofSeconds(2))
      .returning(args -> Json.object().put("sent", args.path("to").asText()));
  private final ScriptedModel model = ScriptedModel.create()
      .when(Requests.hasToolResultFrom("send_invoice"), r -> lastToolResult(r).contains("\"sent\"")
          ? Reply.text("The invoice is sent.") : Reply.text("I did not send the invoice."))
      .when(Requests.offersTool("send_invoice"), Reply.callTool("send_invoice", "{\"to\":\"acme\",\"amount\":120}"));
  private TestNodes nodes;
  private ActorRef<SessionEntity.Command> sessionOnA;

  private TestNodes start(FakeToolRegistry tools) {
    return start(tools, APPROVAL_TIMEOUT);
  }

  private TestNodes start(FakeToolRegistry tools, Duration approvalTimeout) {
    nodes = TestNodes.start(2, model, tools, ConfigFactory.parseString(
        "pekko.loglevel = WARNING\n"
            + "troupe.guardrail.require-approval = [send_invoice]\n"
            + "troupe.guardrail.approval-timeout = " + approvalTimeout.toMillis() + "ms\n"));
    return nodes;
  }

  @AfterEach
  void stopNodes() {
    if (nodes != null) nodes.close();
  }

  private static String lastToolResult(ChatRequest r) {
    List<ChatMessage> results = Requests.toolResultsSinceLastUser(r);
    return results.isEmpty() ? "" : results.get(results.size() - 1).content();
  }

  /** Node A: submits, and the run pauses on the invoice. */
  private TestAgent.ApprovalRequest pauseOnNodeA() {
    return pauseOnNodeA(Duration.ofSeconds(1));
  }

  /** {@code step}: the virtual time the wait may advance when nothing happens (zero: none). */
  private TestAgent.ApprovalRequest pauseOnNodeA(Duration step) {
    TestAgent a = nodes.node(0);
    ActorRef<SessionEntity.Command> session = a.session(SESSION);
    sessionOnA = session;
    IntentView accepted = a.submit(session, "Send Acme its invoice for 120 EUR");
    TestAgent.ApprovalRequest request = a.awaitApprovalRequested(session, accepted.id(), 0, step, 100);
    assertEquals("a1", request.approvalId());
    assertEquals("send_invoice", request.tool());
    assertEquals(IntentStatus.AWAITING_APPROVAL, a.get(session, accepted.id()).status());
    assertTrue(invoice.calls().isEmpty(), "nothing runs before a person decides");
    return request;
  }

  /** Kills node A, its actor system terminated with the run paused in it. */
  private void killNodeA() {
    var systemA = nodes.node(0).kit().system();
    nodes.kill(0);
    assertTrue(systemA.whenTerminated().isCompleted(), "node A's actor system is gone");
    assertFalse(nodes.isAlive(0));
  }

  private List<Object> journal() {
    return nodes.journal().events("Session|" + SESSION);
  }

  private long journaled(Class<?> type) {
    return journal().stream().filter(type::isInstance).count();
  }

  /** Every model request and the journaled transcript pair each tool call with one result. */
  private void assertHistoriesValid() {
    for (ChatRequest r : model.requests()) {
      assertNull(Histories.problem(r.messages()), () -> "model request " + r.messages());
    }
    List<SessionEntity.IntentFinished> finished = journal().stream()
        .filter(SessionEntity.IntentFinished.class::isInstance).map(SessionEntity.IntentFinished.class::cast).toList();
    assertEquals(1, finished.size());
    assertNull(Histories.problem(finished.get(0).transcript()), () -> "transcript " + finished.get(0).transcript());
  }

  @Test
  void aRunPausedOnAKilledNodeIsApprovedOnAnotherAndItsSideEffectRunsOnce() {
    start(FakeToolRegistry.of(invoice));
    TestAgent.ApprovalRequest request = pauseOnNodeA();
    int modelCallsOnA = model.requests().size();
    killNodeA();

    TestAgent b = nodes.node(1);
    ActorRef<SessionEntity.Command> session = b.session(SESSION); // recovers from the shared journal
    assertEquals(IntentStatus.AWAITING_APPROVAL, b.get(session, request.intentId()).status());
    b.time().timePasses(Duration.ofSeconds(5));
    assertTrue(invoice.calls().isEmpty(), "the resumed run still waits for the person");

    b.approve(session, request);
    IntentView done = b.awaitEnd(session, request.intentId(), Duration.ofSeconds(1), 60);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("The invoice is sent.", done.outcome().answer());
    assertEquals(1, invoice.calls().size(), "the approved call ran once");
    FakeTool.Call call = invoice.calls().get(0);
    assertEquals("acme", call.arguments().path("to").asText(), "as journaled");
    assertFalse(call.reconcile());
    assertEquals(1, invoice.executions(call.context().idempotencyKey()));
    List<ChatRequest> onB = model.requests().subList(modelCallsOnA, model.requests().size());
    assertEquals(1, onB.size(), "node B asked the model once, with the result: not again for the call");
    assertTrue(Requests.hasToolResultFrom("send_invoice").test(onB.get(0)));
    assertEquals(1, journaled(SessionEntity.ApprovalRequested.class), "B waited on A's approval, not a new one");
    assertEquals(1, journaled(SessionEntity.ApprovalDecided.class));
    assertEquals(1, journaled(SessionEntity.IntentResumed.class));
    assertHistoriesValid();
    assertEquals(Errors.CONFLICT, Errors.codeOf(b.decide(session, request.intentId(), "a1", true, null)
        .getError().getMessage()), "a second decision changes nothing");
    assertEquals(1, invoice.calls().size());
  }

  @Test
  void aRunPausedOnAKilledNodeIsRejectedOnAnotherAndTheModelGetsTheRejection() {
    start(FakeToolRegistry.of(invoice));
    TestAgent.ApprovalRequest request = pauseOnNodeA();
    killNodeA();

    TestAgent b = nodes.node(1);
    ActorRef<SessionEntity.Command> session = b.session(SESSION);
    b.reject(session, request, "not this month");
    IntentView done = b.awaitEnd(session, request.intentId(), Duration.ofSeconds(1), 60);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("I did not send the invoice.", done.outcome().answer());
    assertTrue(invoice.calls().isEmpty(), "a rejected call never runs");
    String rejection = lastToolResult(model.requests().get(model.requests().size() - 1));
    assertTrue(rejection.contains("rejected") && rejection.contains("not this month"), rejection);
    assertHistoriesValid();
  }

  @Test
  void anUndecidedApprovalIsRejectedWhenItsTimeoutPassesAndTheReasonSaysSo() {
    start(FakeToolRegistry.of(invoice));
    TestAgent.ApprovalRequest request = pauseOnNodeA();
    TestAgent a = nodes.node(0);
    a.time().timePasses(APPROVAL_TIMEOUT.minusMinutes(1));
    ActorRef<SessionEntity.Command> paused = sessionOnA;
    assertEquals(IntentStatus.AWAITING_APPROVAL, a.get(paused, request.intentId()).status(),
        "a minute before the timeout it still waits");

    IntentView done = a.awaitEnd(paused, request.intentId(), Duration.ofSeconds(30), 8);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("I did not send the invoice.", done.outcome().answer());
    assertTrue(invoice.calls().isEmpty());
    String rejection = lastToolResult(model.requests().get(model.requests().size() - 1));
    assertTrue(rejection.contains("rejected: not decided within PT10M (troupe.guardrail.approval-timeout)"), rejection);
    SessionEntity.ApprovalDecided decided = journal().stream().filter(SessionEntity.ApprovalDecided.class::isInstance)
        .map(SessionEntity.ApprovalDecided.class::cast).findFirst().orElseThrow();
    assertFalse(decided.approved());
    assertTrue(decided.comment().contains("approval-timeout"), decided.comment());
    assertHistoriesValid();
  }

  @Test
  void anUndecidedApprovalTimesOutOnTheNodeThatTookTheSessionOver() {
    start(FakeToolRegistry.of(invoice));
    TestAgent.ApprovalRequest request = pauseOnNodeA();
    killNodeA();

    TestAgent b = nodes.node(1);
    ActorRef<SessionEntity.Command> session = b.session(SESSION);
    assertEquals(IntentStatus.AWAITING_APPROVAL, b.get(session, request.intentId()).status());
    IntentView done = b.awaitEnd(session, request.intentId(), Duration.ofMinutes(1), 12);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertTrue(invoice.calls().isEmpty());
    String rejection = lastToolResult(model.requests().get(model.requests().size() - 1));
    assertTrue(rejection.contains("not decided within"), rejection);
    assertHistoriesValid();
  }

  /**
   * The timeout's timer ran on node A, which died before it fired (A's virtual clock never reached
   * it); when a person approves on B after the timeout, it is too late. Approval times are
   * wall-clock (core's TraceClock), so a one-millisecond timeout has passed by then.
   */
  @Test
  void aDecisionAfterTheTimeoutPassedWhileNoNodeRanTheSessionCountsAsRejected() {
    start(FakeToolRegistry.of(invoice), Duration.ofMillis(1));
    TestAgent.ApprovalRequest request = pauseOnNodeA(Duration.ZERO); // A's clock never reaches the timeout
    killNodeA();

    TestAgent b = nodes.node(1);
    ActorRef<SessionEntity.Command> session = b.session(SESSION);
    var late = b.decide(session, request.intentId(), request.approvalId(), true, "sorry, I was away");
    assertTrue(late.isError(), "too late to approve");
    assertEquals(Errors.CONFLICT, Errors.codeOf(late.getError().getMessage()), late.getError().getMessage());
    IntentView done = b.awaitEnd(session, request.intentId(), Duration.ofSeconds(1), 60);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("I did not send the invoice.", done.outcome().answer());
    assertTrue(invoice.calls().isEmpty(), "the late approval ran nothing");
    String rejection = lastToolResult(model.requests().get(model.requests().size() - 1));
    assertTrue(rejection.contains("rejected: not decided within"), rejection);
    assertHistoriesValid();
  }

  @Test
  void aNodeKilledWhileTheApprovedCallRunsLeavesItToTheNextNodeWhichSettlesItByKey() {
    FakeToolRegistry tools = FakeToolRegistry.of(invoice.blockingUntilReleased());
    start(tools);
    Inbox<FakeTool.Call> calls = Inbox.create(nodes.node(0).kit());
    tools.observedBy(calls.ref());
    TestAgent.ApprovalRequest request = pauseOnNodeA();
    TestAgent a = nodes.node(0);
    a.approve(sessionOnA, request);
    FakeTool.Call started = calls.poll(Duration.ofSeconds(5));
    assertTrue(started != null && !started.reconcile(), "the approved call started on A");
    a.time().timePasses(Duration.ofSeconds(3)); // past its latency: it waits at its gate, never released
    killNodeA();

    TestAgent b = nodes.node(1);
    ActorRef<SessionEntity.Command> session = b.session(SESSION);
    IntentView done = b.awaitEnd(session, request.intentId(), Duration.ofSeconds(1), 60);

    assertEquals(IntentStatus.SUCCEEDED, done.status());
    assertEquals("The invoice is sent.", done.outcome().answer());
    List<FakeTool.Call> seen = invoice.calls();
    assertEquals(2, seen.size(), "the call on A, then B's reconciliation: " + seen);
    assertTrue(seen.get(1).reconcile());
    assertEquals(seen.get(0).context().idempotencyKey(), seen.get(1).context().idempotencyKey());
    assertEquals(1, invoice.executions(seen.get(0).context().idempotencyKey()), "the effect ran once");
    assertHistoriesValid();
  }

}
