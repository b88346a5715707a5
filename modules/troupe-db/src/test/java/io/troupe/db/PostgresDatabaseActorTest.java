package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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

  private final List<String> roles = new ArrayList<>();

  @AfterAll
  void dropSchemas() throws SQLException {
    for (String schema : schemas) {
      PostgresTestDatabase.dropSchema(schema);
    }
    for (String role : roles) {
      PostgresTestDatabase.execute("DROP OWNED BY " + role + " CASCADE");
      PostgresTestDatabase.execute("DROP ROLE " + role);
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
        "troupe.database.journal-schema", PostgresTestDatabase.journalSchema(schema),
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
  void theApplicationSchemaIsTheUrlsAndTheJournalHasItsOwn() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertEquals(List.of(List.of(sharedSchema)), rows(database, "SELECT CURRENT_SCHEMA").rows());
    assertEquals(PostgresTestDatabase.journalSchema(sharedSchema), journalSchema(sharedDatabase()));
  }

  @Test
  void queriesRunAsTheReaderRoleWhichCannotUseTheJournalSchema() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertEquals(List.of(List.of("troupe_reader", PostgresTestDatabase.USER)), rows(database, "SELECT CAST(current_user AS TEXT), CAST(session_user AS TEXT)").rows());
    String journal = PostgresTestDatabase.journalSchema(sharedSchema);
    assertEquals(List.of(List.of(true, false, false)), rows(database,
        "SELECT has_schema_privilege(current_user, ?, 'USAGE'), has_schema_privilege(current_user, ?, 'USAGE'), "
            + "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ?)", sharedSchema, journal, journal).rows());
    String error = errorOf(query(database, "SELECT COUNT(*) FROM " + journal + ".event_journal", List.of(), 10, Duration.ofSeconds(5)));
    assertTrue(error.contains("permission denied for schema " + journal), error);
  }

  @Test
  void refusalsNameTheReason() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertEquals("query refused: set_config is not allowed",
        errorOf(query(database, "SELECT set_config('role', session_user, true)", List.of(), 10, Duration.ofSeconds(5))));
    assertEquals("query refused: DO statements are not allowed",
        errorOf(query(database, "DO $$ BEGIN END $$", List.of(), 10, Duration.ofSeconds(5))));
    assertEquals("query refused: pg_read_file(...) is not allowed",
        errorOf(query(database, "SELECT pg_read_file('/etc/hostname')", List.of(), 10, Duration.ofSeconds(5))));
  }

  /** A main user without CREATEROLE: Init still succeeds, with a warning; queries run as that user. */
  @Test
  void withoutTheRightToCreateTheRoleQueriesRunAsTheMainUserAfterAWarning() throws Exception {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String user = "troupe_test_user_" + id;
    String schema = "troupe_test_" + id;
    PostgresTestDatabase.execute("CREATE ROLE " + user + " LOGIN NOCREATEROLE");
    roles.add(user);
    PostgresTestDatabase.execute("GRANT CREATE ON DATABASE " + PostgresTestDatabase.queryString("SELECT current_database()") + " TO " + user);
    PostgresTestDatabase.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + user);
    schemas.add(schema);
    Map<String, Object> settings = with(with(settings(schema), "troupe.database.user", user), "troupe.database.reader-role", "troupe_test_absent_" + id);

    try (DatabaseBootstrap.QueryPool pool = DatabaseBootstrap.open(DatabaseSettings.fromConfig(troupeConfig(settings)))) {
      assertNull(pool.role());
      assertEquals(1, pool.warnings().size(), pool.warnings().toString());
      String warning = pool.warnings().get(0);
      assertTrue(warning.startsWith("queries run as the main user " + user + ", who can read the journal schema " + schema + "_journal"), warning);
      assertTrue(warning.contains("could not set up the reader role troupe_test_absent_" + id), warning);
    }

    ActorRef<Database.Command> database = ready(settings);
    assertEquals(List.of(List.of(user)), rows(database, "SELECT CAST(current_user AS TEXT)").rows());
    assertEquals(40L, count(database, "orders"));
    // Still read-only, and the escapes are still refused.
    String error = errorOf(query(database, "SELECT nextval('" + schema + "_journal.event_journal_ordering_seq')", List.of(), 10, Duration.ofSeconds(5)));
    assertTrue(error.contains("read-only transaction"), error);
    assertTrue(errorOf(query(database, "SELECT set_config('role', 'postgres', true)", List.of(), 10, Duration.ofSeconds(5))).startsWith("query refused"));
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
    PostgresTestDatabase.execute("CREATE SEQUENCE IF NOT EXISTS " + sharedSchema + ".probe_seq");
    PostgresTestDatabase.execute("GRANT USAGE ON SEQUENCE " + sharedSchema + ".probe_seq TO troupe_reader");
    String error = errorOf(query(database, "SELECT nextval('probe_seq')", List.of(), 10, Duration.ofSeconds(5)));
    assertTrue(error.contains("read-only transaction"), error);
  }
}
