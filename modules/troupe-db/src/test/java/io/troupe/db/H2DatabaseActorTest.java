package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import io.troupe.core.db.Database.QueryResult;
import io.troupe.core.db.Database.ReadOnlyQuery;
import io.troupe.core.runtime.Lifecycle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database contract on the default H2 file database, plus what is specific to H2. */
class H2DatabaseActorTest extends DatabaseActorContract {

  @TempDir Path tempDir;
  private final AtomicInteger fresh = new AtomicInteger();

  @Override
  protected Map<String, Object> sharedDatabase() {
    return Map.of("troupe.data-dir", tempDir.resolve("shared").toString());
  }

  @Override
  protected Map<String, Object> freshDatabase() {
    return Map.of("troupe.data-dir", tempDir.resolve("fresh-" + fresh.incrementAndGet()).toString());
  }

  @Override
  protected String slowQuery() {
    return "SELECT SUM(RAND()) FROM SYSTEM_RANGE(1, 100000) a CROSS JOIN SYSTEM_RANGE(1, 100000) b";
  }

  @Override
  protected String writeRefusal() {
    return "Not enough rights";
  }

  @Test
  void theDefaultUrlIsAnH2FileInTheDataDirectory() {
    Config troupe = troupeConfig(sharedDatabase());
    DatabaseSettings settings = DatabaseSettings.fromConfig(troupe);
    assertEquals("jdbc:h2:file:" + tempDir.resolve("shared").toAbsolutePath() + "/troupe;DB_CLOSE_ON_EXIT=FALSE;CASE_INSENSITIVE_IDENTIFIERS=TRUE", settings.url());
    assertEquals(DatabaseSettings.Vendor.H2, settings.vendor());
    assertEquals("org.h2.Driver", settings.driver());
    assertEquals("sa", settings.user());
    assertEquals(8, settings.poolSize());
  }

  @Test
  void queriesRunAsAUserWithoutAdminRights() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    QueryResult result = rows(database, "SELECT CURRENT_USER");
    assertEquals(DatabaseBootstrap.H2_READER, result.rows().get(0).get(0));
    for (String sql : List.of("CALL CSVWRITE('" + tempDir.resolve("leak.csv") + "', 'SELECT * FROM customers')",
        "SCRIPT TO '" + tempDir.resolve("dump.sql") + "'", "SHUTDOWN")) {
      String error = errorOf(query(database, sql, List.of(), 10, Duration.ofSeconds(5)));
      assertTrue(error.contains("Admin rights are required"), sql + " -> " + error);
    }
    assertFalse(Files.exists(tempDir.resolve("leak.csv")));
  }

  @Test
  void theReaderHasNoRightsOnTheJournalSchema() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    for (String table : List.of("event_journal", "event_tag", "snapshot", "durable_state", "intent_traces", "intent_inbox", "flyway_schema_history",
        DatabaseBootstrap.DEMO_HISTORY_TABLE)) {
      String error = errorOf(query(database, "SELECT * FROM troupe_journal." + table, List.of(), 10, Duration.ofSeconds(5)));
      assertTrue(error.contains("Not enough rights for object \"TROUPE_JOURNAL." + table + "\""), error);
    }
    // Session settings would outlast the rollback in the pooled connection.
    for (String sql : List.of("SET SCHEMA troupe_journal", "USE troupe_journal", "// c\n /* d */ set PASSWORD 'x'")) {
      String error = errorOf(query(database, sql, List.of(), 10, Duration.ofSeconds(5)));
      assertTrue(error.startsWith("query refused: "), sql + " -> " + error);
    }
    assertEquals(List.of(List.of("PUBLIC")), rows(database, "SELECT CURRENT_SCHEMA").rows());
    // The column-only table the plugin's durable-state store looks up in PUBLIC: temporary and empty.
    assertEquals(0L, count(database, "PUBLIC.\"durable_state\""));
  }

  @Test
  void journalEventsOfUpTo16KiBStayInTheirRow() throws Exception {
    Map<String, Object> settings = sharedDatabase();
    ready(settings);
    try (Connection admin = admin(settings);
        java.sql.ResultSet rs = admin.createStatement().executeQuery(
            "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'MAX_LENGTH_INPLACE_LOB'")) {
      assertTrue(rs.next());
      assertEquals("16384", rs.getString(1));
    }
  }

  @Test
  void aFailedInitIsRetriedOnTheSameActor() throws Exception {
    Path dataDir = tempDir.resolve("blocked");
    Files.writeString(dataDir, "a file where the data directory should be");
    ActorRef<Database.Command> database = spawn(Map.of("troupe.data-dir", dataDir.toString()));

    Lifecycle.Initialized failed = init(database);
    assertFalse(failed.isOk());
    String error = errorOf(query(database, "SELECT 1", List.of(), 1, Duration.ofSeconds(1)));
    assertEquals(Lifecycle.unavailable("database", failed.error()), error);

    Files.delete(dataDir);
    Files.createDirectories(dataDir);
    assertEquals(Lifecycle.Initialized.ok("database"), init(database));
    assertEquals(40L, count(database, "orders"));
  }

  @Test
  void concurrentInitsShareOneAttempt() throws Exception {
    ActorRef<Database.Command> database = spawn(freshDatabase());
    TestProbe<Lifecycle.Initialized> first = testKit.createTestProbe();
    TestProbe<Lifecycle.Initialized> second = testKit.createTestProbe();
    database.tell(new Lifecycle.Init(first.getRef()));
    database.tell(new Lifecycle.Init(second.getRef()));
    assertTrue(first.receiveMessage(INIT_WAIT).isOk());
    assertTrue(second.receiveMessage(INIT_WAIT).isOk());
  }

  @Test
  void twoActorSystemsOneAfterTheOtherShareTheDataDirectory() throws Exception {
    Map<String, Object> settings = freshDatabase();
    Config troupe = troupeConfig(settings);
    Path dataDir = Path.of(troupe.getString("data-dir"));
    for (int round = 1; round <= 2; round++) {
      ActorTestKit system = ActorTestKit.create("db-round-" + round);
      try {
        ActorRef<Database.Command> database = system.spawn(DatabaseActor.create(troupe, dataDir));
        TestProbe<Lifecycle.Initialized> initProbe = system.createTestProbe();
        database.tell(new Lifecycle.Init(initProbe.getRef()));
        assertTrue(initProbe.receiveMessage(INIT_WAIT).isOk());
        try (Connection admin = admin(settings)) {
          assertEquals(5L, adminCount(admin, quote(journalSchema(settings)) + ".\"flyway_schema_history\" WHERE \"type\" = 'SQL'"), "V1 to V5, migrated once");
        }
        TestProbe<StatusReply<QueryResult>> probe = system.createTestProbe();
        database.tell(new ReadOnlyQuery("SELECT COUNT(*) FROM orders", List.of(), 10, Duration.ofSeconds(5), probe.getRef()));
        assertEquals(List.of(List.of(40L)), probe.receiveMessage(QUERY_WAIT).getValue().rows());
      } finally {
        system.shutdownTestKit();
      }
    }
  }
}
