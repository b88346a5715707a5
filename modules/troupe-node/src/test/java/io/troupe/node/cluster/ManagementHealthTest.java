package io.troupe.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.node.TroupeNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pekko Management on a node: /alive and /ready answer 200 once the node is up and its runtime ready. */
class ManagementHealthTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dataDir;

  @Test
  void aliveAndReadyAnswer200OnceTheNodeIsReady() throws Exception {
    int port = LightNodes.freePort();
    TroupeNode.Running node = LightNodes.start(dataDir, Map.of(
        "troupe.management.enabled", true,
        "troupe.management.port", port));
    try {
      String base = "http://127.0.0.1:" + port;
      TestProbe<Object> probe = TestProbe.create(node.system());
      probe.awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(250), () -> {
        assertEquals(200, get(base + "/ready").statusCode());
        return null;
      });
      assertEquals(200, get(base + "/alive").statusCode());
      HttpResponse<String> members = get(base + "/cluster/members");
      assertEquals(200, members.statusCode(), members.body());
      assertTrue(members.body().contains("\"Up\""), members.body());
    } finally {
      LightNodes.stop(node);
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
