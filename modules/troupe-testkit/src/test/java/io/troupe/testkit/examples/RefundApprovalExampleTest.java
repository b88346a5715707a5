package io.troupe.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.nodes.TestNodes;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An example to copy (docs/testing.md): an agent whose refunds need a person's approval. The run
 * pauses on node A, node A dies, a person approves on node B, and the refund happens once.
 */
class RefundApprovalExampleTest {

  @Test
  void aRefundApprovedAfterItsNodeDiedHappensOnce() {
    FakeTool refund = FakeTool.sideEffecting("refund")
        .returning(args -> Json.object().put("refunded", args.path("amount").asInt()));
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResultFrom("refund"), Reply.text("Refunded 30 EUR."))
        .when(Requests.offersTool("refund"), Reply.callTool("refund", "{\"order\":\"o-17\",\"amount\":30}"));
    var config = ConfigFactory.parseString("troupe.guardrail.require-approval = [refund]");

    try (TestNodes nodes = TestNodes.start(2, model, FakeToolRegistry.of(refund), config)) {
      TestAgent a = nodes.node(0);
      var onA = a.session("customer-42");
      IntentView intent = a.submit(onA, "Refund order o-17, please");
      TestAgent.ApprovalRequest approval = a.awaitApprovalRequested(onA, intent.id());
      assertEquals("refund", approval.tool());

      nodes.kill(0); // node A's actor system terminates with the run paused in it

      TestAgent b = nodes.node(1);
      var onB = b.session("customer-42"); // recovers from the shared journal
      b.approve(onB, approval);
      IntentView done = b.awaitEnd(onB, intent.id(), Duration.ofSeconds(1), 30);

      assertEquals(IntentStatus.SUCCEEDED, done.status());
      assertEquals("Refunded 30 EUR.", done.outcome().answer());
      assertEquals(1, refund.calls().size());
      assertEquals(1, refund.executions(refund.calls().get(0).context().idempotencyKey()));
    }
  }
}
