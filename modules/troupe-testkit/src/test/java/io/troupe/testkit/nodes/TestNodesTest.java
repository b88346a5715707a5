package io.troupe.testkit.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.session.IntentIds;
import io.troupe.core.session.IntentStatus;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestNodesTest {

  @Test
  void aSessionSnapshottedOnOneNodeRecoversOnAnotherFromTheSnapshot() {
    ScriptedModel model = ScriptedModel.create().when(Requests.any(), Reply.text("ok"));
    try (TestNodes nodes = TestNodes.start(2, model, FakeToolRegistry.of(),
        ConfigFactory.parseString("pekko.loglevel = WARNING\ntroupe.agent.snapshot-every = 2"))) {
      TestAgent a = nodes.node(0);
      var onA = a.session("s1");
      for (int i = 0; i < 3; i++) {
        assertEquals(IntentStatus.SUCCEEDED, a.run(onA, "hello " + i).status());
      }
      List<SharedStore.StoredSnapshot> snapshots = nodes.journal().snapshots("Session|s1");
      assertFalse(snapshots.isEmpty(), "node A saved snapshots");
      nodes.kill(0);
      // Without the events the snapshot covers, node B knows the past only from the snapshot.
      long covered = snapshots.stream().mapToLong(SharedStore.StoredSnapshot::sequenceNr).max().orElseThrow();
      nodes.journal().deleteTo("Session|s1", covered);

      TestAgent b = nodes.node(1);
      var onB = b.session("s1");
      var fourth = b.run(onB, "hello again");
      assertEquals(IntentIds.of("s1", 4), fourth.id(), "node B knows the three intents before it");
      assertEquals(IntentStatus.SUCCEEDED, fourth.status());
    }
  }

  @Test
  void aSecondWriteOfTheSameSequenceNumberIsRefused() {
    SharedStore store = SharedStore.named("test-refuses-" + System.nanoTime());
    var event = new SharedStore.StoredEvent(1, "", 0, new byte[0], "w", java.util.Set.of(), "e1");
    store.append("p", List.of(event));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.append("p", List.of(event)));
    assertTrue(e.getMessage().contains("two nodes ran the same entity at once"), e.getMessage());
    assertEquals(List.of("e1"), store.events("p"));
  }
}
