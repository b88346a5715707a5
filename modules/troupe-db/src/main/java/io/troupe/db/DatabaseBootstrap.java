package io.troupe.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.db.DatabaseSettings.Vendor;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.flywaydb.core.Flyway;

/**
 * The blocking part of Init: Flyway migrations, the read-only account and the query pool. Call it
 * on the database dispatcher only.
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

  private DatabaseBootstrap() {}

  /** Migrates the database and opens the pool that runs the read-only queries. */
  static HikariDataSource open(DatabaseSettings settings) throws SQLException {
    if (settings.vendor() != Vendor.H2) {
      migrate(settings);
      String[] reader = readerAccount(settings);
      return openQueryPool(settings, reader[0], reader[1]);
    }
    // Holding one connection keeps H2 from closing and reopening the file between the steps.
    try (Connection keepOpen = connectH2(settings)) {
      migrate(settings);
      String[] reader = readerAccount(settings);
      return openQueryPool(settings, reader[0], reader[1]);
    }
  }

  static void migrate(DatabaseSettings settings) {
    ClassLoader loader = DatabaseBootstrap.class.getClassLoader();
    String vendor = settings.vendor().name().toLowerCase(Locale.ROOT);
    String[] locations = settings.migrationLocations().stream()
        .map(location -> location.replace("{vendor}", vendor))
        .filter(location -> exists(location, loader))
        .toArray(String[]::new);
    Flyway.configure(loader)
        .dataSource(settings.url(), emptyToNull(settings.user()), emptyToNull(settings.password()))
        .locations(locations)
        .load()
        .migrate();
    if (settings.demoData()) {
      // Its own history table, so that turning the demo off later leaves the main history valid.
      Flyway.configure(loader)
          .dataSource(settings.url(), emptyToNull(settings.user()), emptyToNull(settings.password()))
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

  /**
   * User and password of the query pool. With H2 and no configured read-only user, makes sure that
   * {@link #H2_READER} exists with SELECT rights on the current schema and nothing else: H2 has no
   * read-only transactions, and this is what makes H2 itself refuse writes.
   */
  private static String[] readerAccount(DatabaseSettings settings) throws SQLException {
    if (!settings.readOnlyUser().isEmpty()) {
      return new String[] {settings.readOnlyUser(), settings.readOnlyPassword()};
    }
    if (settings.vendor() != Vendor.H2) {
      return new String[] {settings.user(), settings.password()};
    }
    try (Connection admin = connectH2(settings); Statement st = admin.createStatement()) {
      String schema;
      try (ResultSet rs = st.executeQuery("SELECT CURRENT_SCHEMA")) {
        rs.next();
        schema = rs.getString(1);
      }
      st.execute("CREATE USER IF NOT EXISTS " + H2_READER + " PASSWORD '" + H2_READER_PASSWORD + "'");
      st.execute("ALTER USER " + H2_READER + " SET PASSWORD '" + H2_READER_PASSWORD + "'");
      st.execute("GRANT SELECT ON SCHEMA " + quote(schema) + " TO " + H2_READER);
    }
    return new String[] {H2_READER, H2_READER_PASSWORD};
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

  /** Through the driver itself: DriverManager may not see it from every class loader. */
  private static Connection connectH2(DatabaseSettings settings) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", settings.user());
    properties.setProperty("password", settings.password());
    return new org.h2.Driver().connect(settings.url(), properties);
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
