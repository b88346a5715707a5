package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import io.troupe.core.session.SessionEntity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM (actor systems on loopback ports) sharing the PostgreSQL journal: sessions
 * spread over the nodes, any node reads any intent, and when one node crashes its sessions resume
 * on the others from the journal, with no side effect run twice; the node rejoins after a restart.
 */
class ThreeNodeClusterTest {

  @TempDir
  Path dataDir;

  @Test
  void sessionsSpreadAndResumeOnTheOtherNodesWhenOneCrashes() throws Exception {
    String schema = TestPostgres.freshSchema("troupe_cluster");
    try (Connection admin = TestPostgres.connectOrSkip()) {
      admin.createStatement().execute("CREATE SCHEMA " + schema);
      List<TestNode> nodes = new ArrayList<>();
      try {
        int[] ports = {freePort(), freePort(), freePort()};
        for (int i = 0; i < 3; i++) {
          nodes.add(TestNode.start(dataDir.resolve("node-" + i), nodeConfig(schema, ports, i)));
        }
        TestNode one = nodes.get(0);
        TestNode two = nodes.get(1);
        TestNode three = nodes.get(2);
        TestProbe<Object> probe = TestProbe.create(one.running.system());
        awaitMembersUp(probe, one, 3);

        // Twelve sessions, each with an intent that records an effect (a side effect) and adds.
        int sessions = 12;
        Map<String, String> intentBySession = new HashMap<>();
        for (int i = 0; i < sessions; i++) {
          String session = "cluster-" + i;
          var r = nodes.get(i % 3).post("/v1/intents",
              "{\"text\":\"Record effect e" + i + " and what is " + i + " + 1?\",\"sessionId\":\"" + session + "\"}");
          assertEquals(202, r.statusCode(), r.body());
          intentBySession.put(session, TestNode.json(r).get("id").asText());
        }

        // The sessions are spread over the nodes.
        Map<TestNode, Set<String>> hosted = new HashMap<>();
        for (TestNode node : nodes) hosted.put(node, sessionsOn(node));
        int hosting = (int) hosted.values().stream().filter(s -> !s.isEmpty()).count();
        assertTrue(hosting >= 2, "sessions live on " + hosting + " nodes: " + hosted.values());
        Set<String> onThree = hosted.get(three);
        assertTrue(!onThree.isEmpty(), "node three hosts sessions: " + hosted.values());

        // Node three crashes while its sessions run (no leave, no hand-off).
        three.crash();

        // Every intent ends, readable from both surviving nodes; node three's were resumed.
        for (Map.Entry<String, String> e : intentBySession.entrySet()) {
          String id = e.getValue();
          JsonNode done = probe.awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(250), () -> {
            JsonNode view = TestNode.json(one.get("/v1/intents/" + id));
            assertEquals("succeeded", view.path("status").asText(), view.toString());
            return view;
          });
          JsonNode viaTwo = TestNode.json(two.get("/v1/intents/" + id));
          assertEquals(done.get("outcome"), viaTwo.get("outcome"));
          if (onThree.contains(e.getKey())) {
            String events = two.get("/v1/intents/" + id + "/events").body();
            assertTrue(events.contains("intent.resumed"), id + " resumed after the crash: " + events);
          }
        }

        // The side effect of each intent happened exactly once.
        Map<String, Integer> runs = new HashMap<>();
        try (ResultSet rows = admin.createStatement().executeQuery(
            "SELECT idempotency_key, count(*) FROM " + schema + "_journal.effect_ledger GROUP BY idempotency_key")) {
          while (rows.next()) runs.put(rows.getString(1), rows.getInt(2));
        }
        assertEquals(sessions, runs.size(), "one ledger key per intent: " + runs);
        runs.forEach((key, count) -> assertEquals(1, count, key + " ran " + count + " times"));

        // The crashed node comes back on its address and rejoins.
        nodes.set(2, TestNode.start(dataDir.resolve("node-2b"), nodeConfig(schema, ports, 2)));
        awaitMembersUp(probe, one, 3);
        var again = nodes.get(2).post("/v1/intents?wait=true&timeoutMs=60000",
            "{\"text\":\"What is 2 + 2?\",\"sessionId\":\"cluster-0\"}");
        assertEquals(200, again.statusCode(), again.body());
      } finally {
        for (TestNode node : nodes) node.close();
        admin.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        admin.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + "_journal CASCADE");
      }
    }
  }

  private static Map<String, Object> nodeConfig(String schema, int[] ports, int index) {
    Map<String, Object> config = new HashMap<>();
    config.put("pekko.remote.artery.canonical.port", ports[index]);
    config.put("troupe.cluster.seeds", "127.0.0.1:" + ports[0]);
    config.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    // A crash is a crash: the node does not leave or hand off; the others down it quickly.
    config.put("pekko.coordinated-shutdown.run-by-actor-system-terminate", "off");
    config.put("pekko.cluster.split-brain-resolver.stable-after", "2s");
    config.put("troupe.database.url", TestPostgres.URL + "?currentSchema=" + schema);
    config.put("troupe.database.user", "postgres");
    config.put("troupe.database.journal-schema", schema + "_journal");
    config.put("troupe.vector-store.embedder", "hashing");
    config.put("troupe.llm.local.latency", "1500ms");
    config.put("troupe.tools.effect-ledger.enabled", true);
    return config;
  }

  private static Set<String> sessionsOn(TestNode node) {
    TestProbe<ShardRegion.CurrentShardRegionState> state = TestProbe.create(node.running.system());
    ClusterSharding.get(node.running.system()).shardState()
        .tell(new GetShardRegionState(SessionEntity.TYPE_KEY, state.getRef()));
    Set<String> ids = new HashSet<>();
    state.receiveMessage(Duration.ofSeconds(10)).getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }

  private static void awaitMembersUp(TestProbe<Object> probe, TestNode node, int members) {
    Cluster cluster = Cluster.get(node.running.system());
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      long up = 0;
      for (var m : cluster.state().getMembers()) if (m.status() == MemberStatus.up()) up++;
      assertEquals(members, up, "members up: " + cluster.state().getMembers());
      assertTrue(cluster.state().getUnreachable().isEmpty(), "unreachable: " + cluster.state().getUnreachable());
      return null;
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
