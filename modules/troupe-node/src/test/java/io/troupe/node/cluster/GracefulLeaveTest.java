package io.troupe.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.node.TroupeNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Coordinated shutdown (what SIGTERM runs) makes a node leave: the others see it Exiting, then Removed, never downed. */
class GracefulLeaveTest {

  @TempDir
  Path firstDir;

  @TempDir
  Path secondDir;

  @Test
  void aNodeThatShutsDownLeavesTheClusterCleanly() throws Exception {
    int firstPort = LightNodes.freePort();
    TroupeNode.Running first = LightNodes.start(firstDir, Map.of("pekko.remote.artery.canonical.port", firstPort));
    TroupeNode.Running second = null;
    try {
      TestProbe<ClusterEvent.MemberEvent> members = TestProbe.create(first.system());
      Cluster.get(first.system()).subscriptions().tell(Subscribe.create(members.ref(), ClusterEvent.MemberEvent.class));

      second = LightNodes.start(secondDir, Map.of(
          "pekko.remote.artery.canonical.port", LightNodes.freePort(),
          "troupe.cluster.seeds", "127.0.0.1:" + firstPort));
      Address secondAddress = Cluster.get(second.system()).selfMember().address();
      members.fishForMessage(Duration.ofSeconds(60), event ->
          event instanceof ClusterEvent.MemberUp up && up.member().address().equals(secondAddress)
              ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());

      CoordinatedShutdown.get(second.system()).runAll(CoordinatedShutdown.unknownReason());

      members.fishForMessage(Duration.ofSeconds(30), event ->
          event instanceof ClusterEvent.MemberExited exited && exited.member().address().equals(secondAddress)
              ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
      ClusterEvent.MemberEvent last = members.fishForMessage(Duration.ofSeconds(30), event ->
          event.member().address().equals(secondAddress) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore())
          .get(0);
      ClusterEvent.MemberRemoved removed = (ClusterEvent.MemberRemoved) last;
      assertEquals(MemberStatus.exiting(), removed.previousStatus(), "left, not downed");
      second.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      if (second != null) {
        LightNodes.stop(second);
      }
      LightNodes.stop(first);
    }
  }
}
