package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/** A real node in this JVM, on a free port and a data directory of the test's, plus a small HTTP client. */
final class TestNode implements AutoCloseable {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final TroupeNode.Running running;
  final String base;
  /** The data directory of the node's embedded H2 database, or null when it runs on another. */
  private final Path h2DataDir;

  private TestNode(TroupeNode.Running running, String base, Path h2DataDir) {
    this.running = running;
    this.base = base;
    this.h2DataDir = h2DataDir;
  }

  /** Starts a node and waits (bounded) until every subsystem is ready. */
  static TestNode start(Path dataDir) throws Exception {
    return start(dataDir, Map.of());
  }

  /** As {@link #start(Path)}, with config overrides (paths to values) on top of the test defaults. */
  static TestNode start(Path dataDir, Map<String, Object> overrides) throws Exception {
    Map<String, Object> config = new HashMap<>(Map.of(
        "troupe.http.port", 0,
        "troupe.data-dir", dataDir.toString(),
        "troupe.cluster.seeds", "",
        "pekko.coordinated-shutdown.exit-jvm", "off"));
    config.putAll(overrides);
    TroupeNode.Running running = TroupeNode.start(config);
    InetSocketAddress address = running.http().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Object url = config.get("troupe.database.url");
    TestNode node = new TestNode(running, "http://127.0.0.1:" + address.getPort(),
        url == null || url.toString().isBlank() ? dataDir : null);
    TestProbe<Object> probe = TestProbe.create(running.system());
    probe.awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(200), () -> {
      HttpResponse<String> ready = node.get("/health/ready");
      assertEquals(200, ready.statusCode(), ready.body());
      return null;
    });
    return node;
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  HttpResponse<String> post(String path, String json) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return CLIENT.send(request.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) {
    return Json.parse(r.body());
  }

  private boolean closed;

  /** Stops the node at once, as a crash would; the node must run with run-by-actor-system-terminate off. */
  void crash() throws Exception {
    close();
  }

  /** Terminates the actor system and waits for it (in the test thread). */
  @Override
  public void close() throws Exception {
    if (closed) return;
    closed = true;
    running.system().terminate();
    running.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    if (h2DataDir != null) shutDownH2(h2DataDir);
  }

  /**
   * Closes the embedded H2 database in this JVM now. The pools of the terminated system close theirs
   * asynchronously, so H2 could still write (its trace file, on an error) while a @TempDir is
   * being deleted, and the deletion failed.
   */
  private static void shutDownH2(Path dataDir) {
    String url = io.troupe.db.DatabaseSettings.h2FileUrl(dataDir) + ";IFEXISTS=TRUE";
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "sa", "");
        java.sql.Statement st = c.createStatement()) {
      st.execute("SHUTDOWN");
    } catch (java.sql.SQLException e) {
      // No database there (the node never made one), or already closed.
    }
  }
}
