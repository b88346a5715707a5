package io.troupe.node.cluster;

import io.troupe.node.TroupeNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Nodes for the cluster tests: loopback, free ports, the hashing embedder, an H2 file in a data directory of the test's. */
final class LightNodes {
  private LightNodes() {}

  static TroupeNode.Running start(Path dataDir, Map<String, Object> overrides) {
    Map<String, Object> config = new HashMap<>(Map.of(
        "troupe.http.port", 0,
        "troupe.data-dir", dataDir.toString(),
        "troupe.cluster.seeds", "",
        "troupe.vector-store.embedder", "hashing",
        "pekko.remote.artery.canonical.hostname", "127.0.0.1",
        "pekko.coordinated-shutdown.exit-jvm", "off"));
    config.putAll(overrides);
    return TroupeNode.start(config);
  }

  /** A port that was free a moment ago (for settings that cannot take 0). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** Terminates the node and waits for it, in the test thread. */
  static void stop(TroupeNode.Running node) throws Exception {
    node.system().terminate();
    node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
