package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.db.DatabaseSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {

  @Test
  void defaultsFormAOneNodeClusterWithTheJournalInTheSubsystemsDatabase() {
    Config c = NodeConfig.load(Map.of("troupe.data-dir", "/tmp/troupe-config-test", "troupe.cluster.seeds", ""));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals(0, c.getInt("pekko.remote.artery.canonical.port"));
    assertTrue(c.getStringList("pekko.cluster.seed-nodes").isEmpty());
    assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals("jdbc-journal", c.getString("pekko.persistence.journal.plugin"));
    assertEquals("jdbc-snapshot-store", c.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("slick", c.getString("jdbc-journal.use-shared-db"));

    DatabaseSettings db = DatabaseSettings.fromConfig(c.getConfig("troupe"));
    String slick = "pekko-persistence-jdbc.shared-databases.slick.";
    assertEquals(db.url(), c.getString(slick + "db.url"));
    assertTrue(db.url().startsWith("jdbc:h2:file:/tmp/troupe-config-test/troupe"), db.url());
    assertEquals("slick.jdbc.H2Profile$", c.getString(slick + "profile"));
    assertEquals("org.h2.Driver", c.getString(slick + "db.driver"));
    assertEquals(db.user(), c.getString(slick + "db.user"));

    // The journal's tables are in their own schema, named as H2 stores it.
    for (String key : List.of("jdbc-journal.tables.event_journal", "jdbc-journal.tables.event_tag",
        "jdbc-snapshot-store.tables.snapshot", "jdbc-read-journal.tables.event_journal",
        "jdbc-read-journal.tables.event_tag", "jdbc-durable-state-store.tables.durable_state")) {
      assertEquals("TROUPE_JOURNAL", c.getString(key + ".schemaName"), key);
    }
  }

  @Test
  void postgresUrlsUseThePostgresProfile() {
    Config c = NodeConfig.load(Map.of(
        "troupe.database.url", "jdbc:postgresql://127.0.0.1:5432/test",
        "troupe.database.user", "postgres",
        "troupe.database.password", "pw"));
    String slick = "pekko-persistence-jdbc.shared-databases.slick.";
    assertEquals("slick.jdbc.PostgresProfile$", c.getString(slick + "profile"));
    assertEquals("jdbc:postgresql://127.0.0.1:5432/test", c.getString(slick + "db.url"));
    assertEquals("postgres", c.getString(slick + "db.user"));
    assertEquals("pw", c.getString(slick + "db.password"));
    assertEquals("troupe_journal", c.getString("jdbc-journal.tables.event_journal.schemaName"));
    assertEquals("troupe_journal", c.getString("jdbc-read-journal.tables.event_journal.schemaName"));
    assertEquals("troupe_journal", c.getString("jdbc-durable-state-store.tables.durable_state.schemaName"));
  }

  @Test
  void theJournalSchemaIsConfigurable() {
    Config c = NodeConfig.load(Map.of(
        "troupe.database.url", "jdbc:postgresql://127.0.0.1:5432/test",
        "troupe.database.journal-schema", "Conversations"));
    assertEquals("conversations", c.getString("jdbc-snapshot-store.tables.snapshot.schemaName"));
    assertThrows(ConfigException.BadValue.class,
        () -> NodeConfig.load(Map.of("troupe.database.journal-schema", "x\"; DROP TABLE y")));
  }

  @Test
  void seedsBecomeSeedNodeAddresses() {
    Config c = NodeConfig.load(Map.of("troupe.cluster.seeds", "10.0.0.1:2552, node-b:25520"));
    assertEquals(List.of("pekko://troupe@10.0.0.1:2552", "pekko://troupe@node-b:25520"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertThrows(ConfigException.BadValue.class, () -> NodeConfig.seedNodes("just-a-host"));
  }

  @Test
  void commandLineFlagsBecomeOverrides() {
    CommandLine cli = CommandLine.parse("run", "--port", "18080", "--data-dir=/tmp/d", "--host", "0.0.0.0");
    Config c = NodeConfig.load(cli.overrides());
    assertEquals(18080, c.getInt("troupe.http.port"));
    assertEquals("0.0.0.0", c.getString("troupe.http.host"));
    assertEquals("/tmp/d", c.getString("troupe.data-dir"));
    assertEquals("help", CommandLine.parse().command());
    assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("run", "--port", "http"));
    assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("run", "--colour", "blue"));
    assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("fly"));
  }
}
