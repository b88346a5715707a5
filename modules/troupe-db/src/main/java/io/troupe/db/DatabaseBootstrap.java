package io.troupe.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.db.DatabaseSettings.Vendor;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.flywaydb.core.Flyway;

/**
 * The blocking part of Init: Flyway migrations, the read-only account and the query pool. Call it
 * on the database dispatcher only.
 *
 * <p>Two schemas: the application schema (the main connection's current schema: PUBLIC in H2) holds
 * the data the queries may read; the journal schema ({@link DatabaseSettings#journalSchemaName()})
 * holds the Pekko persistence tables, i.e. every session's conversation, and both Flyway history
 * tables. The query account may read the first and not the second:
 *
 * <ul>
 *   <li>H2: the queries log in as {@link #H2_READER}, with SELECT on the application schema only.
 *   <li>PostgreSQL without a configured read-only user: every query runs under the NOLOGIN role
 *       {@link DatabaseSettings#readerRole()} (SET LOCAL ROLE), which has USAGE and SELECT on the
 *       application schema only. If the main user may not set that role up, a warning is returned
 *       and the queries run as the main user (who can read the journal schema).
 * </ul>
 */
final class DatabaseBootstrap {

  /** The SELECT-only H2 user that runs the queries. */
  static final String H2_READER = "TROUPE_READER";

  /**
   * One random password per JVM: every Init in this JVM sets the same one, so a second pool on the
   * same database (another actor system in the same JVM) keeps working. It never leaves the JVM.
   */
  private static final String H2_READER_PASSWORD = randomPassword();

  static final String DEMO_LOCATION = "classpath:db/demo";
  static final String DEMO_HISTORY_TABLE = "troupe_demo_history";

  /** Serializes the reader role's set-up between nodes that start at once (concurrent GRANTs fail). */
  private static final long READER_ROLE_LOCK = 0x7472_6f75_7065_7231L;

  private DatabaseBootstrap() {}

  /**
   * The query pool and how its queries are confined.
   *
   * @param role the PostgreSQL role every query switches to, or null (H2, a configured read-only
   *     user, or a role that could not be set up)
   * @param warnings what the actor should log
   * @param mainPool a small pool of the main user, for the runtime's own reads of the journal schema
   *     (never for the queries of agents)
   */
  record QueryPool(HikariDataSource dataSource, String role, List<String> warnings, HikariDataSource mainPool)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        dataSource.close();
      } finally {
        mainPool.close();
      }
    }
  }

  /** Migrates the database and opens the pool that runs the read-only queries. */
  static QueryPool open(DatabaseSettings settings) throws SQLException {
    // Holding one connection keeps H2 from closing and reopening the file between the steps.
    try (Connection main = connect(settings)) {
      String appSchema = currentSchema(main);
      migrate(settings, appSchema);
      List<String> warnings = new ArrayList<>();
      HikariDataSource queries;
      String role = null;
      if (!settings.readOnlyUser().isEmpty()) {
        queries = openQueryPool(settings, settings.readOnlyUser(), settings.readOnlyPassword());
      } else if (settings.vendor() == Vendor.H2) {
        h2Reader(main, appSchema);
        queries = openQueryPool(settings, H2_READER, H2_READER_PASSWORD);
      } else {
        role = postgresReaderRole(main, settings, appSchema, warnings);
        queries = openQueryPool(settings, settings.user(), settings.password());
      }
      try {
        return new QueryPool(queries, role, warnings, openMainPool(settings));
      } catch (RuntimeException e) {
        queries.close();
        throw e;
      }
    }
  }

  /**
   * One connection of the main user, read-only: the runtime reads the journal schema through it
   * (e.g. {@link OpenSessionsQuery}), which the query account may not see.
   */
  private static HikariDataSource openMainPool(DatabaseSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("troupe-db-main");
    config.setJdbcUrl(settings.url());
    config.setDriverClassName(settings.driver());
    config.setUsername(emptyToNull(settings.user()));
    config.setPassword(emptyToNull(settings.password()));
    config.setMaximumPoolSize(1);
    config.setConnectionTimeout(Math.max(250, settings.connectionTimeout().toMillis()));
    config.setReadOnly(true);
    config.setAutoCommit(false);
    if (settings.vendor() == Vendor.POSTGRESQL) {
      config.addDataSourceProperty("ApplicationName", "troupe");
    }
    return new HikariDataSource(config);
  }

  /**
   * Runs the migrations in the journal schema (Flyway creates it if missing), so that their history
   * table lives there too; then, if enabled, the demo data into {@code appSchema}, with its own
   * history table next to the other one.
   */
  static void migrate(DatabaseSettings settings, String appSchema) throws SQLException {
    String journal = settings.journalSchemaName();
    if (journal.equals(appSchema)) {
      throw new SQLException("the journal schema " + journal + " must not be the application schema (the "
          + "connection's current schema): set troupe.database.journal-schema to another name");
    }
    ClassLoader loader = DatabaseBootstrap.class.getClassLoader();
    String vendor = settings.vendor().name().toLowerCase(Locale.ROOT);
    String[] locations = settings.migrationLocations().stream()
        .map(location -> location.replace("{vendor}", vendor))
        .filter(location -> exists(location, loader))
        .toArray(String[]::new);
    Flyway.configure(loader)
        .dataSource(settings.url(), emptyToNull(settings.user()), emptyToNull(settings.password()))
        .defaultSchema(journal)
        .schemas(journal)
        .locations(locations)
        .load()
        .migrate();
    if (settings.demoData()) {
      // Its own history table, so that turning the demo off later leaves the main history valid.
      Flyway.configure(loader)
          .dataSource(settings.url(), emptyToNull(settings.user()), emptyToNull(settings.password()))
          .defaultSchema(journal)
          .schemas(journal)
          .placeholders(Map.of("app_schema", quote(appSchema)))
          .locations(DEMO_LOCATION)
          .table(DEMO_HISTORY_TABLE)
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .load()
          .migrate();
    }
  }

  /** A missing classpath location only makes Flyway warn; skip it quietly (e.g. an empty "common"). */
  private static boolean exists(String location, ClassLoader loader) {
    if (!location.startsWith("classpath:")) {
      return true;
    }
    String path = location.substring("classpath:".length()).replaceAll("^/+", "");
    return loader.getResource(path) != null;
  }

  private static String currentSchema(Connection main) throws SQLException {
    try (Statement st = main.createStatement(); ResultSet rs = st.executeQuery("SELECT CURRENT_SCHEMA")) {
      String schema = rs.next() ? rs.getString(1) : null;
      if (schema == null) {
        throw new SQLException("the connection has no current schema (none of its search_path exists); "
            + "name an existing one, e.g. with currentSchema=... in the URL");
      }
      return schema;
    }
  }

  /**
   * Makes sure that {@link #H2_READER} exists with SELECT rights on the application schema and
   * nothing else: H2 has no read-only transactions, and this is what makes H2 itself refuse writes
   * and any access to the journal schema.
   */
  private static void h2Reader(Connection admin, String appSchema) throws SQLException {
    try (Statement st = admin.createStatement()) {
      st.execute("CREATE USER IF NOT EXISTS " + H2_READER + " PASSWORD '" + H2_READER_PASSWORD + "'");
      st.execute("ALTER USER " + H2_READER + " SET PASSWORD '" + H2_READER_PASSWORD + "'");
      st.execute("GRANT SELECT ON SCHEMA " + quote(appSchema) + " TO " + H2_READER);
    }
  }

  /**
   * Sets up the NOLOGIN reader role: created if missing, the main user made a member, USAGE on the
   * application schema, SELECT on its tables now and later (default privileges), and no access to
   * the journal schema, which is checked. Returns the role, or null with a warning when any of it is
   * not allowed, so that the node still starts.
   */
  private static String postgresReaderRole(
      Connection main, DatabaseSettings settings, String appSchema, List<String> warnings) {
    String role = settings.readerRole();
    String journal = settings.journalSchemaName();
    try {
      main.setAutoCommit(false);
      try (Statement st = main.createStatement()) {
        st.execute("SELECT pg_advisory_xact_lock(" + READER_ROLE_LOCK + ")");
        boolean exists;
        try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'")) {
          exists = rs.next();
        }
        if (!exists) {
          st.execute("CREATE ROLE " + role + " NOLOGIN");
        }
        if (!canSetRole(st, role)) {
          st.execute("GRANT " + role + " TO CURRENT_USER");
          if (!canSetRole(st, role)) {
            throw new SQLException("the main user cannot SET ROLE " + role + " even after GRANT " + role + " TO it");
          }
        }
        String app = quote(appSchema);
        st.execute("GRANT USAGE ON SCHEMA " + app + " TO " + role);
        st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA " + app + " TO " + role);
        st.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA " + app + " GRANT SELECT ON TABLES TO " + role);
        st.execute("REVOKE ALL ON SCHEMA " + quote(journal) + " FROM " + role);
        // A GRANT without the right to grant only warns; and PUBLIC may have been given the journal.
        try (ResultSet rs = st.executeQuery("SELECT has_schema_privilege('" + role + "', '" + appSchema.replace("'", "''")
            + "', 'USAGE'), has_schema_privilege('" + role + "', '" + journal + "', 'USAGE')")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            throw new SQLException("role " + role + " did not get USAGE on schema " + appSchema);
          }
          if (rs.getBoolean(2)) {
            throw new SQLException("role " + role + " can use the journal schema " + journal
                + " (granted to it, to a role it is in, or to PUBLIC)");
          }
        }
      }
      main.commit();
      return role;
    } catch (SQLException e) {
      rollbackQuietly(main);
      warnings.add("queries run as the main user " + settings.user() + ", who can read the journal schema " + journal
          + " (every session's events): could not set up the reader role " + role + ": " + describe(e)
          + ". Let the main user create it (CREATEROLE), create it yourself (CREATE ROLE " + role
          + " NOLOGIN; GRANT " + role + " TO <main user>), or configure troupe.database.read-only-user.");
      return null;
    }
  }

  /** Whether this session may SET ROLE to {@code role}; leaves the transaction as it was. */
  private static boolean canSetRole(Statement st, String role) throws SQLException {
    st.execute("SAVEPOINT troupe_set_role");
    try {
      st.execute("SET LOCAL ROLE " + role);
      st.execute("RESET ROLE");
      st.execute("RELEASE SAVEPOINT troupe_set_role");
      return true;
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT troupe_set_role");
      return false;
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // the connection is closed right after
    }
  }

  private static HikariDataSource openQueryPool(DatabaseSettings settings, String user, String password) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("troupe-db-query");
    config.setJdbcUrl(settings.url());
    config.setDriverClassName(settings.driver());
    config.setUsername(emptyToNull(user));
    config.setPassword(emptyToNull(password));
    config.setMaximumPoolSize(settings.poolSize());
    config.setConnectionTimeout(Math.max(250, settings.connectionTimeout().toMillis()));
    // Every connection is read-only (PostgreSQL: BEGIN READ ONLY) and never auto-commits.
    config.setReadOnly(true);
    config.setAutoCommit(false);
    if (settings.vendor() == Vendor.POSTGRESQL) {
      config.addDataSourceProperty("ApplicationName", "troupe");
    }
    return new HikariDataSource(config); // fails at once when the database is unreachable
  }

  /** As the main user, through the driver itself: DriverManager may not see it from every class loader. */
  private static Connection connect(DatabaseSettings settings) throws SQLException {
    Properties properties = new Properties();
    if (!settings.user().isEmpty()) {
      properties.setProperty("user", settings.user());
    }
    if (!settings.password().isEmpty()) {
      properties.setProperty("password", settings.password());
    }
    java.sql.Driver driver = settings.vendor() == Vendor.H2 ? new org.h2.Driver() : new org.postgresql.Driver();
    Connection connection = driver.connect(settings.url(), properties);
    if (connection == null) {
      throw new SQLException("the driver does not accept the URL " + DatabaseSettings.redact(settings.url()));
    }
    return connection;
  }

  /** An empty user or password means "not given" (e.g. it is in the URL). */
  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String randomPassword() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A short, single-line reason without secrets, for readiness and logs. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String reason = firstLine(e);
    if (root != e) {
      String rootLine = firstLine(root);
      if (!reason.contains(rootLine)) {
        reason = reason + "; cause: " + rootLine;
      }
    }
    reason = DatabaseSettings.redact(reason);
    return reason.length() > 500 ? reason.substring(0, 500) + "..." : reason;
  }

  private static String firstLine(Throwable e) {
    String message = e.getMessage();
    String line = message == null ? "" : List.of(message.strip().split("\\R")).get(0);
    return e.getClass().getSimpleName() + (line.isEmpty() ? "" : ": " + line);
  }
}
