package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node asked to listen beyond loopback without API keys does not open its port, and says why. */
class OpenIngressRefusedTest {

  @TempDir
  Path dataDir;

  @Test
  void noKeysOnAPublicBindAddressFailsTheIngress() throws Exception {
    TroupeNode.Running running = TroupeNode.start(Map.of(
        "troupe.http.host", "0.0.0.0",
        "troupe.http.port", 0,
        "troupe.http.api-keys", "",
        "troupe.http.auth.enabled", "auto",
        "troupe.data-dir", dataDir.toString(),
        "troupe.cluster.seeds", "",
        "pekko.coordinated-shutdown.exit-jvm", "off"));
    try {
      var failure = assertThrows(ExecutionException.class,
          () -> running.http().toCompletableFuture().get(60, TimeUnit.SECONDS));
      String message = failure.getCause().getMessage();
      assertTrue(message.contains("0.0.0.0") && message.contains("TROUPE_API_KEYS"), message);
    } finally {
      running.system().terminate();
      running.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
