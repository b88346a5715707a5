package io.troupe.db;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL of the tests: 127.0.0.1:5432, database {@code test}, user {@code postgres} (trust
 * auth); {@code TROUPE_TEST_PG_URL} / {@code TROUPE_TEST_PG_USER} override. Each test run works in
 * its own schema. Unreachable: the tests are skipped, or fail when {@code CI=true}.
 */
final class PostgresTestDatabase {
  static final String URL = envOr("TROUPE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
  static final String USER = envOr("TROUPE_TEST_PG_USER", "postgres");

  private PostgresTestDatabase() {}

  /** Null when reachable, else why not; checked once per JVM. */
  private static final String UNREACHABLE = probe();

  static boolean reachable() {
    return UNREACHABLE == null;
  }

  /** Skips the calling test (or fails it when {@code CI=true}) when PostgreSQL cannot be reached. */
  static void assumeReachable() {
    if (UNREACHABLE == null) {
      return;
    }
    String message = "PostgreSQL at " + URL + " unreachable (" + UNREACHABLE + ")";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("CI=true and " + message);
    }
    Assumptions.assumeTrue(false, message + "; skipping");
  }

  private static String probe() {
    try (Connection ignored = connect(URL)) {
      return null;
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  /** Creates a fresh schema and returns its name. */
  static String createSchema() throws SQLException {
    String schema = "troupe_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute("CREATE SCHEMA " + schema);
    return schema;
  }

  /** Drops the schema and its journal schema ({@link #journalSchema}). */
  static void dropSchema(String schema) throws SQLException {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    execute("DROP SCHEMA IF EXISTS " + journalSchema(schema) + " CASCADE");
  }

  /** The journal schema the tests use next to {@code schema}, so that every test database has its own. */
  static String journalSchema(String schema) {
    return schema + "_journal";
  }

  /** The first column of the first row. */
  static String queryString(String sql) throws SQLException {
    try (Connection connection = connect(URL);
        Statement statement = connection.createStatement();
        java.sql.ResultSet rs = statement.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** The JDBC URL whose current schema is {@code schema}. */
  /** The {@code troupe.*} settings of a component test (a sink, the inbox) on {@code schema}, small pools. */
  static java.util.Map<String, Object> componentSettings(String schema) {
    return java.util.Map.of(
        "troupe.database.url", url(schema),
        "troupe.database.user", USER,
        "troupe.database.journal-schema", journalSchema(schema),
        "troupe.database.demo-data", false,
        "troupe.database.pool-size", 2,
        "troupe.data-dir", "target/unused-data-dir");
  }

  static String url(String schema) {
    return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  static void execute(String sql) throws SQLException {
    try (Connection connection = connect(URL); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static Connection connect(String url) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", USER);
    properties.setProperty("connectTimeout", "3");
    return DriverManager.getConnection(url, properties);
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
