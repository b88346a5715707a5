package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vector store of real nodes on the JDBC journal (H2): documents are events of the document
 * log, and every node's index follows it.
 */
class NodeDocumentsTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  static Map<String, Object> hashing(Map<String, Object> more) {
    var config = new java.util.HashMap<String, Object>(more);
    config.put("troupe.vector-store.embedder", "hashing"); // no model to load: the test is about replication
    return config;
  }

  static List<String> searchIds(TestNode node, String query) throws Exception {
    HttpResponse<String> r = node.get("/v1/documents/search?k=10&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode(), r.body());
    List<String> ids = new ArrayList<>();
    for (JsonNode hit : TestNode.json(r).get("hits")) {
      if (!ids.contains(hit.get("id").asText())) {
        ids.add(hit.get("id").asText());
      }
    }
    return ids;
  }

  static void ingest(TestNode node, String id, String text) throws Exception {
    HttpResponse<String> r = node.post("/v1/documents", "{\"documents\":[{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}]}");
    assertEquals(200, r.statusCode(), r.body());
  }

  static void delete(TestNode node, String id) throws Exception {
    HttpResponse<String> r = node.send(HttpRequest.newBuilder(URI.create(node.base + "/v1/documents/" + id)).DELETE());
    assertEquals(200, r.statusCode(), r.body());
  }

  interface Check {
    void run() throws Exception;
  }

  static void await(TestNode node, Check check) {
    TestProbe<Object> probe = TestProbe.create(node.running.system());
    probe.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
      try {
        check.run();
      } catch (AssertionError e) {
        throw e;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void aLostIndexIsRebuiltFromTheJournal() throws Exception {
    Path data = dir.resolve("node");
    try (TestNode node = TestNode.start(data, hashing(Map.of()))) {
      ingest(node, "refunds", "Refunds are paid back within 14 days after we receive the returned item.");
      ingest(node, "shipping", "Orders ship within two business days.");
      delete(node, "shipping");
      // Read-your-writes on the node that took the write.
      assertEquals(List.of("refunds"), searchIds(node, "refund"));
    }
    try (Stream<Path> files = Files.walk(data.resolve("index"))) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertFalse(Files.exists(data.resolve("index")));
    try (TestNode node = TestNode.start(data, hashing(Map.of()))) {
      await(node, () -> assertEquals(List.of("refunds"), searchIds(node, "refund")));
      // The log numbers on after the restart: a new write is applied after the three before it.
      ingest(node, "invoice", "You can download every invoice as a PDF.");
      assertTrue(searchIds(node, "invoice pdf").contains("invoice"));
    }
  }

  @Test
  void twoNodesOfOneClusterSeeTheSameDocuments() throws Exception {
    int seedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      seedPort = socket.getLocalPort();
    }
    // One database for both (the journal); an index directory each.
    String db = "jdbc:h2:file:" + dir.resolve("shared-db").toAbsolutePath().toString().replace('\\', '/')
        + ";DB_CLOSE_ON_EXIT=FALSE;CASE_INSENSITIVE_IDENTIFIERS=TRUE";
    String seeds = "127.0.0.1:" + seedPort;
    try (TestNode a = TestNode.start(dir.resolve("a"), hashing(Map.of(
            "troupe.database.url", db, "troupe.cluster.seeds", seeds, "pekko.remote.artery.canonical.port", seedPort)));
        TestNode b = TestNode.start(dir.resolve("b"), hashing(Map.of(
            "troupe.database.url", db, "troupe.cluster.seeds", seeds, "pekko.remote.artery.canonical.port", 0)))) {
      // One cluster, so one writer of the log (two would collide on its sequence numbers).
      for (TestNode node : List.of(a, b)) {
        await(node, () -> assertEquals(2, java.util.stream.StreamSupport.stream(
            Cluster.get(node.running.system()).state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up()).count()));
      }
      ingest(a, "refunds", "Refunds are paid back within 14 days after we receive the returned item.");
      await(b, () -> assertEquals(List.of("refunds"), searchIds(b, "refund")));

      ingest(b, "office", "Our office in Lyon is closed on public holidays.");
      delete(b, "refunds");
      await(a, () -> assertEquals(List.of("office"), searchIds(a, "refund office")));

      // Acknowledged by b, then b goes away at once: a still gets it from the journal.
      ingest(b, "gdpr", "You may ask us to export or erase your personal data.");
      b.close();
      await(a, () -> assertTrue(searchIds(a, "erase personal data").contains("gdpr")));
    }
  }
}
