package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.core.runtime.RuntimeSupervisor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent that names a tool the node does not have stops the node once its tools are known. */
class NodeStartFailsTest {

  @TempDir
  static Path dataDir;

  @Test
  void anAgentNamingAnUnknownToolStopsTheNodeWithAReasonOfItsOwn() throws Exception {
    TroupeNode.Running node = TroupeNode.start(Map.of(
        "troupe.http.port", 0,
        "troupe.data-dir", dataDir.toString(),
        "troupe.cluster.seeds", "",
        "pekko.coordinated-shutdown.exit-jvm", "off",
        "troupe.agents.support.tools", List.of("calculator", "no_such_tool")));
    try {
      // The test thread, not a dispatcher: it waits for the node to stop by itself.
      node.system().getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } finally {
      node.system().terminate();
    }
    Optional<CoordinatedShutdown.Reason> reason =
        CoordinatedShutdown.get(node.system().classicSystem()).getShutdownReason();
    assertEquals(Optional.of(RuntimeSupervisor.StartFailedReason.INSTANCE), reason);
    assertEquals(2, node.system().settings().config()
        .getInt("pekko.coordinated-shutdown.reason-overrides.\"io.troupe.core.runtime.RuntimeSupervisor$StartFailedReason\".exit-code"));
  }
}
