package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.db.Database;
import io.troupe.core.db.Database.QueryResult;
import io.troupe.core.db.Database.ReadOnlyQuery;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.tools.builtin.DescribeSchemaTool;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The protocol of {@link DatabaseActor}, run against each supported database by a subclass. The
 * demo dataset has 12 customers, 10 products and 40 orders.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DatabaseActorContract {

  static final Duration INIT_WAIT = Duration.ofSeconds(30);
  static final Duration QUERY_WAIT = Duration.ofSeconds(10);

  protected ActorTestKit testKit;
  private final List<ActorRef<Database.Command>> spawned = new ArrayList<>();

  /** Settings ({@code troupe.database.*} keys and {@code troupe.data-dir}) of the shared database. */
  protected abstract Map<String, Object> sharedDatabase() throws Exception;

  /** Settings of a new, empty database. */
  protected abstract Map<String, Object> freshDatabase() throws Exception;

  /** A statement that runs far longer than a second. */
  protected abstract String slowQuery();

  /** What the database says when it refuses a write in a query. */
  protected abstract String writeRefusal();

  @BeforeAll
  void startTestKit() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  void stopTestKit() {
    testKit.shutdownTestKit();
  }

  // -- helpers

  static Config troupeConfig(Map<String, Object> settings) {
    return ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()).getConfig("troupe");
  }

  static Map<String, Object> with(Map<String, Object> settings, String key, Object value) {
    Map<String, Object> copy = new HashMap<>(settings);
    copy.put(key, value);
    return copy;
  }

  ActorRef<Database.Command> spawn(Map<String, Object> settings) {
    Config troupe = troupeConfig(settings);
    ActorRef<Database.Command> database = testKit.spawn(DatabaseActor.create(troupe, Path.of(troupe.getString("data-dir"))));
    spawned.add(database);
    return database;
  }

  /** Stopping closes the pools, so that the tests do not run out of connections. */
  @AfterEach
  void stopSpawned() {
    spawned.forEach(testKit::stop);
    spawned.clear();
  }

  Lifecycle.Initialized init(ActorRef<Database.Command> database) {
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    database.tell(new Lifecycle.Init(probe.getRef()));
    return probe.receiveMessage(INIT_WAIT);
  }

  ActorRef<Database.Command> ready(Map<String, Object> settings) {
    ActorRef<Database.Command> database = spawn(settings);
    Lifecycle.Initialized initialized = init(database);
    assertEquals(Lifecycle.Initialized.ok("database"), initialized);
    return database;
  }

  StatusReply<QueryResult> query(ActorRef<Database.Command> database, String sql, List<Object> parameters, int maxRows, Duration timeout) {
    TestProbe<StatusReply<QueryResult>> probe = testKit.createTestProbe();
    database.tell(new ReadOnlyQuery(sql, parameters, maxRows, timeout, probe.getRef()));
    return probe.receiveMessage(QUERY_WAIT.plus(timeout));
  }

  QueryResult rows(ActorRef<Database.Command> database, String sql, Object... parameters) {
    StatusReply<QueryResult> reply = query(database, sql, List.of(parameters), 1000, Duration.ofSeconds(5));
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
    return reply.getValue();
  }

  long count(ActorRef<Database.Command> database, String table) {
    return (Long) rows(database, "SELECT COUNT(*) FROM " + table).rows().get(0).get(0);
  }

  static String errorOf(StatusReply<?> reply) {
    assertTrue(reply.isError(), () -> "expected an error, got " + reply.getValue());
    return reply.getError().getMessage();
  }

  // -- lifecycle

  @Test
  void answersUnavailableAtOnceBeforeInit() throws Exception {
    ActorRef<Database.Command> database = spawn(sharedDatabase());
    String error = errorOf(query(database, "SELECT 1", List.of(), 10, Duration.ofSeconds(1)));
    assertEquals(Lifecycle.unavailable("database", null), error);
  }

  @Test
  void aHealthCheckFailsBeforeInitAndPassesOnceInitialized() throws Exception {
    ActorRef<Database.Command> database = spawn(sharedDatabase());
    TestProbe<Lifecycle.Health> probe = testKit.createTestProbe();
    database.tell(new Lifecycle.CheckHealth(Duration.ofSeconds(3), probe.getRef()));
    assertEquals("not initialized", probe.receiveMessage().error());
    assertEquals(Lifecycle.Initialized.ok("database"), init(database));
    database.tell(new Lifecycle.CheckHealth(Duration.ofSeconds(3), probe.getRef()));
    assertEquals(Lifecycle.Health.ok(), probe.receiveMessage(QUERY_WAIT));
  }

  @Test
  void initFailsOnAnUnreachableDatabaseAndAFreshActorWithGoodSettingsWorks() throws Exception {
    ActorRef<Database.Command> broken = spawn(with(sharedDatabase(), "troupe.database.url", "jdbc:postgresql://127.0.0.1:1/none"));
    Lifecycle.Initialized failed = init(broken);
    assertEquals("database", failed.subsystem());
    assertFalse(failed.isOk());
    assertTrue(failed.error().toLowerCase(Locale.ROOT).contains("refused"), failed.error());

    // Queries get the reason; a second Init is tried again (and fails again, same settings).
    String error = errorOf(query(broken, "SELECT 1", List.of(), 10, Duration.ofSeconds(1)));
    assertEquals(Lifecycle.unavailable("database", failed.error()), error);
    assertFalse(init(broken).isOk());

    ActorRef<Database.Command> good = ready(sharedDatabase());
    assertEquals(40L, count(good, "orders"));
  }

  @Test
  void initFailsOnAnUnsupportedUrl() throws Exception {
    ActorRef<Database.Command> database = spawn(with(sharedDatabase(), "troupe.database.url", "jdbc:mysql://localhost/x"));
    Lifecycle.Initialized failed = init(database);
    assertFalse(failed.isOk());
    assertTrue(failed.error().startsWith("invalid configuration"), failed.error());
  }

  @Test
  void aSecondInitOfAReadyActorAnswersOk() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertTrue(init(database).isOk());
    assertEquals(12L, count(database, "customers"));
  }

  // -- schema

  @Test
  void migrationsPutThePekkoPersistenceJdbcTablesAndTheHistoriesInTheJournalSchema() throws Exception {
    Map<String, Object> settings = sharedDatabase();
    ready(settings);
    String journal = journalSchema(settings);
    try (Connection admin = admin(settings)) {
      assertEquals(
          Set.of("event_journal", "event_tag", "snapshot", "durable_state", "intent_traces", "intent_inbox", "flyway_schema_history",
              DatabaseBootstrap.DEMO_HISTORY_TABLE),
          strings(admin, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", journal));
      assertEquals(
          Set.of("ordering", "deleted", "persistence_id", "sequence_number", "writer", "write_timestamp",
              "adapter_manifest", "event_payload", "event_ser_id", "event_ser_manifest", "meta_payload",
              "meta_ser_id", "meta_ser_manifest"),
          strings(admin, "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = 'event_journal'", journal));
      // The application schema has the demo's tables and no base table of the journal or Flyway.
      assertEquals(Set.of("customers", "orders", "products"), strings(admin,
          "SELECT LOWER(table_name) FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA AND table_type = 'BASE TABLE'"));
    }
  }

  @Test
  void withoutDemoDataThereAreNoShopTables() throws Exception {
    Map<String, Object> settings = with(freshDatabase(), "troupe.database.demo-data", false);
    ActorRef<Database.Command> database = ready(settings);
    String error = errorOf(query(database, "SELECT COUNT(*) FROM orders", List.of(), 10, Duration.ofSeconds(5)));
    assertTrue(error.toLowerCase(Locale.ROOT).contains("orders"), error);
    try (Connection admin = admin(settings)) {
      assertEquals(Set.of("event_journal", "event_tag", "snapshot", "durable_state", "intent_traces", "intent_inbox", "flyway_schema_history"),
          strings(admin, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", journalSchema(settings)));
    }
  }

  // -- the journal schema is out of the queries' reach

  @Test
  void queriesCannotReadTheJournalSchema() throws Exception {
    Map<String, Object> settings = sharedDatabase();
    ActorRef<Database.Command> database = ready(settings);
    String secret = writeSecretEvent(settings);
    String journal = journalSchema(settings);
    List<String> reads = List.of(
        "SELECT * FROM " + journal + ".event_journal",
        "SELECT * FROM \"" + journal + "\".\"event_journal\"",
        "SELECT COUNT(*) FROM " + journal.toLowerCase(Locale.ROOT) + ".event_journal",
        "SELECT * FROM event_journal",
        "SELECT * FROM \"event_journal\"",
        "TABLE " + journal + ".event_journal",
        "SELECT * FROM customers WHERE name IN (SELECT persistence_id FROM " + journal + ".event_journal)",
        "SELECT * FROM " + journal + ".snapshot",
        "SELECT * FROM " + journal + ".event_tag",
        "SELECT * FROM " + journal + ".durable_state",
        "SELECT * FROM " + journal + ".flyway_schema_history",
        "SELECT * FROM " + journal + "." + DatabaseBootstrap.DEMO_HISTORY_TABLE,
        "SELECT * FROM flyway_schema_history",
        "SELECT * FROM " + DatabaseBootstrap.DEMO_HISTORY_TABLE);
    for (String sql : reads) {
      String error = errorOf(query(database, sql, List.of(), 10, Duration.ofSeconds(5)));
      assertFalse(error.contains(secret), sql + " -> " + error);
    }
    // The demo data is still there.
    assertEquals(40L, count(database, "orders"));
  }

  /**
   * Ways out of the reader's confinement. On PostgreSQL the session user could switch the role back
   * (set_config, SET/RESET ROLE, code or SQL text run by DO, query_to_xml, ts_stat) or read files;
   * all are refused. On H2 none of this exists or the reader lacks the rights.
   */
  @Test
  void escapeAttemptsFail() throws Exception {
    Map<String, Object> settings = sharedDatabase();
    ActorRef<Database.Command> database = ready(settings);
    String secret = writeSecretEvent(settings);
    String j = journalSchema(settings) + ".event_journal";
    List<String> escapes = List.of(
        "SELECT set_config('role', session_user, true), COUNT(*) FROM " + j,
        "SELECT set_config('role','postgres',true), COUNT(*) FROM " + j,
        "SELECT set_config('role', session_user, true), query_to_xml('SELECT * FROM " + j + "', true, true, '')",
        "SELECT \"set_config\"('role', session_user, true), query_to_xml('SELECT * FROM " + j + "', true, true, '')",
        "SELECT pg_catalog.SET_CONFIG /* c */ ('role', session_user, true)",
        "SELECT E'\\'', set_config('role', session_user, true), query_to_xml('SELECT * FROM " + j + "', true, true, '')",
        "SELECT $q$ x $q$, set_config('role', session_user, true)",
        "SELECT query_to_xml('SELECT * FROM " + j + "', true, true, '')",
        "SELECT ts_stat('SELECT set_config(''role'', session_user, true)::tsvector'), query_to_xml('SELECT * FROM " + j + "', true, true, '')",
        "DO $$ BEGIN PERFORM set_config('role', session_user, true); "
            + "RAISE EXCEPTION '%', (SELECT string_agg(persistence_id, ',') FROM " + j + "); END $$",
        "RESET ROLE",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION DEFAULT",
        "SELECT pg_read_file('/etc/hostname')",
        "SELECT * FROM pg_ls_dir('.')",
        "SELECT lo_import('/etc/hostname')",
        "SELECT dblink('dbname=test', 'SELECT 1')",
        "SELECT U&\"\\0073et_config\"('role', session_user, true)");
    for (String sql : escapes) {
      String error = errorOf(query(database, sql, List.of(), 10, Duration.ofSeconds(5)));
      assertFalse(error.contains(secret), sql + " -> " + error);
    }
    // Names in string literals and comments are data, not calls.
    QueryResult literal = rows(database, "SELECT 'set_config' AS s /* query_to_xml( */ FROM customers WHERE id = ? -- DO", 1);
    assertEquals(List.of(List.of("set_config")), literal.rows());
  }

  @Test
  void describeSchemaListsTheApplicationTablesOnly() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    DescribeSchemaTool tool = new DescribeSchemaTool(database, testKit.system().scheduler(), 2000, Duration.ofSeconds(5));
    JsonNode schema = tool.invoke(Json.object(), null).toCompletableFuture().get(QUERY_WAIT.toSeconds(), TimeUnit.SECONDS);
    Set<String> tables = new HashSet<>();
    schema.get("tables").forEach(table -> tables.add(table.get("name").asText().toLowerCase(Locale.ROOT)));
    assertEquals(Set.of("customers", "orders", "products"), tables, schema.toString());
    assertFalse(schema.get("truncated").asBoolean());
  }

  // -- queries

  @Test
  void answersQuestionsAboutTheDemoData() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    QueryResult result = rows(database, "SELECT COUNT(*) AS n FROM orders WHERE status = ?", "delivered");
    assertEquals(List.of("n"), lower(result.columns()));
    long delivered = (Long) result.rows().get(0).get(0);
    assertTrue(delivered > 0 && delivered < 40, "delivered: " + delivered);

    QueryResult ada = rows(database, "SELECT name, country FROM customers WHERE id = ?", 1);
    assertEquals(List.of(List.of("Ada Lovelace", "GB")), ada.rows());
    assertFalse(ada.truncated());
  }

  @Test
  void convertsValuesToJsonFriendlyTypes() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    QueryResult result = rows(database,
        "SELECT CAST(42 AS INTEGER) AS i, CAST(1.5 AS DOUBLE PRECISION) AS d, CAST(2.25 AS DECIMAL(10, 2)) AS m, "
            + "TRUE AS b, CAST(NULL AS VARCHAR(10)) AS z, 'text' AS s, DATE '2024-03-01' AS dt, "
            + "TIMESTAMP '2024-03-01 12:30:00' AS ts, TIMESTAMP WITH TIME ZONE '2024-03-01 12:30:00+02:00' AS tz");
    assertEquals(List.of("i", "d", "m", "b", "z", "s", "dt", "ts", "tz"), lower(result.columns()));
    List<Object> row = result.rows().get(0);
    assertEquals(42L, row.get(0));
    assertEquals(1.5, row.get(1));
    assertEquals(0, new BigDecimal("2.25").compareTo((BigDecimal) row.get(2)));
    assertEquals(Boolean.TRUE, row.get(3));
    assertNull(row.get(4));
    assertEquals("text", row.get(5));
    assertEquals("2024-03-01", row.get(6));
    assertEquals("2024-03-01T12:30:00", row.get(7));
    assertEquals(OffsetDateTime.parse("2024-03-01T12:30:00+02:00").toInstant(), OffsetDateTime.parse((String) row.get(8)).toInstant());
  }

  @Test
  void bindsNullParameters() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    StatusReply<QueryResult> reply = query(database, "SELECT COUNT(*) FROM customers WHERE email = ?",
        java.util.Arrays.asList((Object) null), 10, Duration.ofSeconds(5));
    assertSuccess(reply);
    assertEquals(List.of(List.of(0L)), reply.getValue().rows());
  }

  @Test
  void truncatesAtMaxRows() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    QueryResult five = query(database, "SELECT id FROM orders ORDER BY id", List.of(), 5, Duration.ofSeconds(5)).getValue();
    assertEquals(List.of(List.of(1L), List.of(2L), List.of(3L), List.of(4L), List.of(5L)), five.rows());
    assertTrue(five.truncated());

    QueryResult exact = query(database, "SELECT id FROM orders", List.of(), 40, Duration.ofSeconds(5)).getValue();
    assertEquals(40, exact.rows().size());
    assertFalse(exact.truncated());
  }

  @Test
  void rejectsAnEmptyStatementAndANonPositiveMaxRows() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    assertEquals("the SQL statement is empty", errorOf(query(database, " ", List.of(), 5, Duration.ofSeconds(1))));
    assertEquals("maxRows must be at least 1", errorOf(query(database, "SELECT 1", List.of(), 0, Duration.ofSeconds(1))));
  }

  @Test
  void reportsAnSqlErrorWithTheDatabaseMessage() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    String error = errorOf(query(database, "SELECT nope FROM orders", List.of(), 5, Duration.ofSeconds(5)));
    assertTrue(error.startsWith("query failed: "), error);
    assertTrue(error.toLowerCase(Locale.ROOT).contains("nope"), error);
  }

  // -- read-only, enforced by the database (statements sent raw, no parsing on our side)

  @Test
  void theDatabaseRefusesWrites() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    List<String> writes = List.of(
        "INSERT INTO customers (id, name, email, country, signed_up) VALUES (99, 'Eve', 'eve@example.com', 'XX', DATE '2025-01-01')",
        "UPDATE orders SET quantity = 0",
        "DELETE FROM orders",
        "DROP TABLE orders",
        "CREATE TABLE intruder (id INTEGER)",
        "TRUNCATE TABLE orders");
    for (String write : writes) {
      String error = errorOf(query(database, write, List.of(), 10, Duration.ofSeconds(5)));
      assertTrue(error.contains(writeRefusal()), write + " -> " + error);
    }
    assertEquals(12L, count(database, "customers"));
    assertEquals(40L, count(database, "orders"));
    assertEquals(0L, (Long) rows(database, "SELECT COUNT(*) FROM orders WHERE quantity = 0").rows().get(0).get(0));
  }

  @Test
  void aCommitCannotSmuggleAWriteOutOfTheReadOnlyTransaction() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    for (String sql : List.of("COMMIT; DELETE FROM orders", "ROLLBACK; DROP TABLE orders", "SET TRANSACTION READ WRITE; DELETE FROM orders")) {
      errorOf(query(database, sql, List.of(), 10, Duration.ofSeconds(5)));
    }
    assertEquals(40L, count(database, "orders"));
  }

  // -- timeouts and concurrency

  @Test
  void cancelsAQueryAtItsTimeout() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    long started = System.nanoTime();
    String error = errorOf(query(database, slowQuery(), List.of(), 10, Duration.ofSeconds(1)));
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertEquals("query timed out after 1000 ms", error);
    assertTrue(millis < 8_000, "took " + millis + " ms");
  }

  @Test
  void aSlowQueryDoesNotHoldUpOthers() throws Exception {
    ActorRef<Database.Command> database = ready(sharedDatabase());
    TestProbe<StatusReply<QueryResult>> slow = testKit.createTestProbe();
    TestProbe<StatusReply<QueryResult>> fast = testKit.createTestProbe();
    database.tell(new ReadOnlyQuery(slowQuery(), List.of(), 10, Duration.ofSeconds(3), slow.getRef()));
    database.tell(new ReadOnlyQuery("SELECT COUNT(*) FROM products", List.of(), 10, Duration.ofSeconds(3), fast.getRef()));
    StatusReply<QueryResult> quick = fast.receiveMessage(Duration.ofSeconds(2));
    assertEquals(List.of(List.of(10L)), quick.getValue().rows());
    slow.expectNoMessage(Duration.ofMillis(100)); // still running
    assertEquals("query timed out after 3000 ms", errorOf(slow.receiveMessage(QUERY_WAIT)));
  }

  @Test
  void refusesQueriesBeyondMaxInFlightAtOnce() throws Exception {
    ActorRef<Database.Command> database = ready(with(sharedDatabase(), "troupe.database.max-in-flight", 1));
    TestProbe<StatusReply<QueryResult>> slow = testKit.createTestProbe();
    TestProbe<StatusReply<QueryResult>> second = testKit.createTestProbe();
    database.tell(new ReadOnlyQuery(slowQuery(), List.of(), 10, Duration.ofSeconds(1), slow.getRef()));
    database.tell(new ReadOnlyQuery("SELECT 1", List.of(), 10, Duration.ofSeconds(1), second.getRef()));
    String error = errorOf(second.receiveMessage(Duration.ofMillis(500)));
    assertTrue(error.startsWith("overloaded"), error);
    assertTrue(slow.receiveMessage(QUERY_WAIT).isError());
    assertTrue(query(database, "SELECT 1", List.of(), 1, Duration.ofSeconds(1)).isSuccess());
  }

  // -- the journal shares the database

  @Test
  void thePekkoPersistenceJdbcPluginsWorkOnTheMigratedSchemaNextToThePool() throws Exception {
    Map<String, Object> fresh = freshDatabase();
    ActorRef<Database.Command> database = ready(fresh); // migrated; its pool stays open throughout
    Config persistence = JournalProbe.persistenceConfig(DatabaseSettings.fromConfig(troupeConfig(fresh)));
    String[] expected = {"alpha", "alpha,beta,gamma"};
    for (int round = 0; round < 2; round++) {
      ActorTestKit node = ActorTestKit.create("journal-" + round, persistence);
      try {
        ActorRef<JournalProbe.Command> words = node.spawn(JournalProbe.Words.create("words-1"));
        ActorRef<JournalProbe.Command> register = node.spawn(JournalProbe.Register.create("register-1"));
        TestProbe<org.apache.pekko.Done> done = node.createTestProbe();
        TestProbe<String> state = node.createTestProbe();
        if (round == 0) {
          for (String word : List.of("alpha")) {
            words.tell(new JournalProbe.Add(word, done.getRef()));
            done.receiveMessage(INIT_WAIT);
          }
          register.tell(new JournalProbe.Add("first", done.getRef()));
          done.receiveMessage(INIT_WAIT);
        } else {
          words.tell(new JournalProbe.Get(state.getRef())); // recovered by a new actor system
          assertEquals("alpha", state.receiveMessage(INIT_WAIT));
          for (String word : List.of("beta", "gamma")) {
            words.tell(new JournalProbe.Add(word, done.getRef()));
            done.receiveMessage(INIT_WAIT);
          }
          register.tell(new JournalProbe.Get(state.getRef()));
          assertEquals("first", state.receiveMessage(INIT_WAIT));
          register.tell(new JournalProbe.Add("second", done.getRef())); // an update of the durable state
          done.receiveMessage(INIT_WAIT);
          register.tell(new JournalProbe.Get(state.getRef()));
          assertEquals("second", state.receiveMessage(INIT_WAIT));
        }
        words.tell(new JournalProbe.Get(state.getRef()));
        assertEquals(expected[round], state.receiveMessage(INIT_WAIT));
        // The read journal finds the events too.
        assertEquals(List.of(expected[round].split(",")), JournalProbe.currentEvents(node.system(), "words-1")
            .toCompletableFuture().get(INIT_WAIT.toSeconds(), TimeUnit.SECONDS));
      } finally {
        node.shutdownTestKit();
      }
    }
    try (Connection admin = admin(fresh)) {
      String journal = quote(journalSchema(fresh));
      assertEquals(3L, adminCount(admin, journal + ".\"event_journal\""));
      assertTrue(adminCount(admin, journal + ".\"snapshot\"") >= 1);
      assertEquals(1L, adminCount(admin, journal + ".\"durable_state\""));
    }
    // Nothing of it reaches the queries.
    errorOf(query(database, "SELECT COUNT(*) FROM \"event_journal\"", List.of(), 10, Duration.ofSeconds(5)));
  }

  // -- sessions with an open intent, from the journal's tags

  StatusReply<Database.OpenSessions> findOpenSessions(ActorRef<Database.Command> database, int limit) {
    TestProbe<StatusReply<Database.OpenSessions>> probe = testKit.createTestProbe();
    database.tell(new Database.FindOpenSessions(limit, probe.getRef()));
    return probe.receiveMessage(QUERY_WAIT);
  }

  @Test
  void findsTheSessionsWithMoreOpenThanClosedIntentTags() throws Exception {
    Map<String, Object> fresh = freshDatabase();
    ActorRef<Database.Command> database = ready(fresh);
    assertEquals(List.of(), findOpenSessions(database, 100).getValue().sessionIds());
    String open = Database.INTENT_OPEN_TAG;
    String closed = Database.INTENT_CLOSED_TAG;
    try (Connection admin = admin(fresh)) {
      writeTaggedEvents(admin, fresh, "Session|a", open, null, closed); // finished
      writeTaggedEvents(admin, fresh, "Session|b", open, closed, open); // its second intent runs
      writeTaggedEvents(admin, fresh, "Session|c", open); // accepted, never finished
      writeTaggedEvents(admin, fresh, "Session|d", open, open, closed); // one queued behind a finished one
      writeTaggedEvents(admin, fresh, "Session|e", null, null); // no tags at all
      writeTaggedEvents(admin, fresh, "Session|f", "another-tag", open, closed);
      writeTaggedEvents(admin, fresh, "Other|g", open); // not a session
    }
    assertEquals(List.of("b", "c", "d"), findOpenSessions(database, 100).getValue().sessionIds());
    assertEquals(List.of("b", "c"), findOpenSessions(database, 2).getValue().sessionIds());
    // The read-only queries still cannot see the journal.
    errorOf(query(database, "SELECT COUNT(*) FROM " + quote(journalSchema(fresh)) + ".\"event_tag\"", List.of(), 10,
        Duration.ofSeconds(5)));
  }

  @Test
  void findOpenSessionsIsRefusedBeforeInitAndWithoutALimit() throws Exception {
    ActorRef<Database.Command> database = spawn(sharedDatabase());
    assertEquals(Lifecycle.unavailable("database", null), errorOf(findOpenSessions(database, 10)));
    assertEquals(Lifecycle.Initialized.ok("database"), init(database));
    assertEquals("limit must be at least 1", errorOf(findOpenSessions(database, 0)));
  }

  /** The same through pekko-persistence-jdbc's own journal and its tagger, as the session entity writes them. */
  @Test
  void findsTheOpenSessionsThatTheJdbcJournalTagged() throws Exception {
    Map<String, Object> fresh = freshDatabase();
    ActorRef<Database.Command> database = ready(fresh);
    Config persistence = JournalProbe.persistenceConfig(DatabaseSettings.fromConfig(troupeConfig(fresh)));
    ActorTestKit node = ActorTestKit.create("tagged", persistence);
    try {
      TestProbe<org.apache.pekko.Done> done = node.createTestProbe();
      Map<String, List<String>> sessions = Map.of(
          "finished", List.of("open", "step", "close"),
          "running", List.of("open", "close", "open", "step"),
          "queued", List.of("open", "open", "step", "close"));
      sessions.forEach((id, events) -> {
        ActorRef<JournalProbe.Command> session = node.spawn(JournalProbe.TaggedSession.create(id));
        for (String event : events) {
          session.tell(new JournalProbe.Add(event, done.getRef()));
          done.receiveMessage(INIT_WAIT);
        }
      });
    } finally {
      node.shutdownTestKit();
    }
    assertEquals(List.of("queued", "running"), findOpenSessions(database, 10).getValue().sessionIds());
  }

  /** Journals one event per entry (sequence numbers 1, 2, ...), tagged with it unless it is null. */
  static void writeTaggedEvents(Connection admin, Map<String, Object> settings, String persistenceId, String... tags)
      throws SQLException {
    String journal = quote(journalSchema(settings));
    for (int i = 0; i < tags.length; i++) {
      try (PreparedStatement st = admin.prepareStatement("INSERT INTO " + journal + ".\"event_journal\" "
          + "(\"persistence_id\", \"sequence_number\", \"deleted\", \"writer\", \"write_timestamp\", \"adapter_manifest\", "
          + "\"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, FALSE, 'w', 0, '', ?, 1, '')")) {
        st.setString(1, persistenceId);
        st.setLong(2, i + 1);
        st.setBytes(3, new byte[] {1});
        st.executeUpdate();
      }
      if (tags[i] == null) {
        continue;
      }
      try (PreparedStatement st = admin.prepareStatement("INSERT INTO " + journal + ".\"event_tag\" (\"event_id\", \"tag\") "
          + "SELECT \"ordering\", ? FROM " + journal + ".\"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
        st.setString(1, tags[i]);
        st.setString(2, persistenceId);
        st.setLong(3, i + 1);
        assertEquals(1, st.executeUpdate());
      }
    }
  }

  // -- direct access as the main user, for checks the queries must not be able to make

  /** The journal schema as stored (H2: upper case). */
  static String journalSchema(Map<String, Object> settings) {
    return DatabaseSettings.fromConfig(troupeConfig(settings)).journalSchemaName();
  }

  static Connection admin(Map<String, Object> settings) throws SQLException {
    DatabaseSettings s = DatabaseSettings.fromConfig(troupeConfig(settings));
    Properties properties = new Properties();
    properties.setProperty("user", s.user());
    properties.setProperty("password", s.password());
    return DriverManager.getConnection(s.url(), properties);
  }

  static Set<String> strings(Connection c, String sql, String... parameters) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        st.setString(i + 1, parameters[i]);
      }
      Set<String> out = new HashSet<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  static long adminCount(Connection c, String from) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + from)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String quote(String identifier) {
    return "\"" + identifier + "\"";
  }

  /** Journals an event as the main user; returns its persistence id, which no query may reveal. */
  static String writeSecretEvent(Map<String, Object> settings) throws SQLException {
    String secret = "secret-" + UUID.randomUUID();
    try (Connection admin = admin(settings);
        PreparedStatement st = admin.prepareStatement("INSERT INTO " + quote(journalSchema(settings)) + ".\"event_journal\" "
            + "(\"persistence_id\", \"sequence_number\", \"deleted\", \"writer\", \"write_timestamp\", \"adapter_manifest\", "
            + "\"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, 1, FALSE, 'w', 0, '', ?, 1, '')")) {
      st.setString(1, secret);
      st.setBytes(2, secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      st.executeUpdate();
    }
    return secret;
  }

  static Set<Object> column(QueryResult result, int index) {
    return result.rows().stream().map(row -> row.get(index)).collect(Collectors.toSet());
  }

  static List<String> lower(List<String> columns) {
    return columns.stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
  }

  static void assertSuccess(StatusReply<?> reply) {
    assertNotNull(reply);
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
  }
}
