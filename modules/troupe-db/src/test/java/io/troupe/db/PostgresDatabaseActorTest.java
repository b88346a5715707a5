package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The database contract on PostgreSQL ({@link PostgresTestDatabase}), each class run in its own
 * schemas, dropped afterwards.
 */
class PostgresDatabaseActorTest extends DatabaseActorContract {

  private final List<String> schemas = new ArrayList<>();
  private String sharedSchema;

  @BeforeAll
  void createSharedSchema() throws SQLException {
    if (PostgresTestDatabase.reachable()) {
      sharedSchema = newSchema();
    }
  }

  /** Per test, so that each skipped test is reported with the reason. */
  @BeforeEach
  void requirePostgres() {
    PostgresTestDatabase.assumeReachable();
  }

  @AfterAll
  void dropSchemas() throws SQLException {
    for (String schema : schemas) {
      PostgresTestDatabase.dropSchema(schema);
    }
  }

  private String newSchema() throws SQLException {
    String schema = PostgresTestDatabase.createSchema();
    schemas.add(schema);
    return schema;
  }

  private static Map<String, Object> settings(String schema) {
    return Map.of(
        "troupe.database.url", PostgresTestDatabase.url(schema),
        "troupe.database.user", PostgresTestDatabase.USER,
        "troupe.database.pool-size", 3,
        "troupe.data-dir", "target/unused-data-dir");
  }

  @Override
  protected Map<String, Object> sharedDatabase() {
    return settings(sharedSchema);
  }

  @Override
  protected Map<String, Object> freshDatabase() throws SQLException {
    return settings(newSchema());
  }

  @Override
  protected String slowQuery() {
    return "SELECT pg_sleep(30)";
  }

  @Override
  protected String writeRefusal() {
    return "read-only transaction";
  }

  @Test
  void recognisesPostgres() {
    Config troupe = troupeConfig(sharedDatabase());
    DatabaseSettings settings = DatabaseSettings.fromConfig(troupe);
    assertEquals(DatabaseSettings.Vendor.POSTGRESQL, settings.vendor());
    assertEquals("org.postgresql.Driver", settings.driver());
    assertEquals("slick.jdbc.PostgresProfile$", settings.vendor().slickProfile());
  }

  @Test
  void theJournalTablesLiveInTheConfiguredSchema() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertEquals(List.of(List.of(sharedSchema)), rows(database, "SELECT CURRENT_SCHEMA").rows());
    assertEquals(0L, count(database, sharedSchema + ".event_journal"));
  }

  @Test
  void refusesMoreThanOneStatement() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    String error = errorOf(query(database, "SELECT 1; SELECT 2", List.of(), 10, Duration.ofSeconds(5)));
    assertEquals("query failed: only one SQL statement is allowed", error);
    // A trailing semicolon is still one statement.
    assertEquals(List.of(List.of(1L)), rows(database, "SELECT CAST(1 AS BIGINT);").rows());
  }

  @Test
  void functionsThatWriteAreRefusedToo() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    String error = errorOf(query(database, "SELECT nextval('event_journal_ordering_seq')", List.of(), 10, Duration.ofSeconds(5)));
    assertTrue(error.contains("read-only transaction"), error);
  }
}
