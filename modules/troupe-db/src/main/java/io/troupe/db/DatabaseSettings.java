package io.troupe.db;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The effective settings of the database subsystem, read from the {@code troupe} config subtree.
 * The node reuses {@link #url()}, {@link #user()}, {@link #password()}, {@link #driver()} and
 * {@link #journalSchemaName()} for the Pekko persistence JDBC journal, so that both share one
 * database (in one JVM, the same H2 file) while the journal's tables stay in their own schema.
 */
public record DatabaseSettings(
    String url,
    String user,
    String password,
    String driver,
    Vendor vendor,
    String readOnlyUser,
    String readOnlyPassword,
    String journalSchema,
    String readerRole,
    int poolSize,
    Duration connectionTimeout,
    List<String> migrationLocations,
    boolean demoData,
    Duration queryTimeout,
    int maxRows,
    int maxInFlight) {

  /** Config path of the blocking dispatcher (in the actor system's config). */
  public static final String DISPATCHER = "troupe.database.dispatcher";

  public enum Vendor {
    H2("org.h2.Driver", "slick.jdbc.H2Profile$"),
    POSTGRESQL("org.postgresql.Driver", "slick.jdbc.PostgresProfile$");

    private final String driver;
    private final String slickProfile;

    Vendor(String driver, String slickProfile) {
      this.driver = driver;
      this.slickProfile = slickProfile;
    }

    public String driver() {
      return driver;
    }

    /** The Slick profile pekko-persistence-jdbc needs for this database. */
    public String slickProfile() {
      return slickProfile;
    }
  }

  /** Settings with the data directory from {@code troupe.data-dir}. */
  public static DatabaseSettings fromConfig(Config troupe) {
    return fromConfig(troupe, Path.of(troupe.getString("data-dir")));
  }

  /**
   * Settings with an explicit data directory (used when {@code troupe.database.url} is empty).
   *
   * @throws ConfigException.BadValue for a URL that is neither H2 nor PostgreSQL
   */
  public static DatabaseSettings fromConfig(Config troupe, Path dataDir) {
    Config c = troupe.getConfig("database");
    String url = c.getString("url").trim();
    if (url.isEmpty()) {
      url = h2FileUrl(dataDir);
    }
    Vendor vendor = vendorOf(url);
    String user = c.getString("user");
    if (user.isEmpty() && vendor == Vendor.H2) {
      user = "sa";
    }
    int poolSize = c.getInt("pool-size");
    if (poolSize < 1) {
      throw new ConfigException.BadValue("troupe.database.pool-size", "must be at least 1");
    }
    String journalSchema = identifier(c, "journal-schema");
    String readerRole = identifier(c, "reader-role");
    return new DatabaseSettings(
        url,
        user,
        c.getString("password"),
        vendor.driver(),
        vendor,
        c.getString("read-only-user"),
        c.getString("read-only-password"),
        journalSchema,
        readerRole,
        poolSize,
        c.getDuration("connection-timeout"),
        List.copyOf(c.getStringList("migration-locations")),
        c.getBoolean("demo-data"),
        c.getDuration("query-timeout"),
        c.getInt("max-rows"),
        c.getInt("max-in-flight"));
  }

  /**
   * The journal schema as the database stores it: an unquoted name, so upper case in H2 and lower
   * case in PostgreSQL. pekko-persistence-jdbc must be given this form: it quotes the schema in some
   * statements and not in others (the durable-state store), and H2 matches quoted schema names
   * case-sensitively even with CASE_INSENSITIVE_IDENTIFIERS.
   */
  public String journalSchemaName() {
    return vendor == Vendor.H2 ? journalSchema.toUpperCase(Locale.ROOT) : journalSchema.toLowerCase(Locale.ROOT);
  }

  /**
   * pekko-persistence-jdbc's {@code schemaName} of every table it uses (journal, tags, snapshots,
   * read journal, durable state), set to {@link #journalSchemaName()}.
   */
  public Map<String, String> journalPluginSchemaSettings() {
    Map<String, String> keys = new LinkedHashMap<>();
    for (String table : List.of(
        "jdbc-journal.tables.event_journal",
        "jdbc-journal.tables.event_tag",
        "jdbc-snapshot-store.tables.snapshot",
        "jdbc-read-journal.tables.event_journal",
        "jdbc-read-journal.tables.event_tag",
        "jdbc-durable-state-store.tables.durable_state")) {
      keys.put(table + ".schemaName", journalSchemaName());
    }
    return keys;
  }

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  /** A plain SQL identifier: it goes into SQL unquoted, so nothing else is accepted. */
  private static String identifier(Config c, String key) {
    String value = c.getString(key).trim();
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new ConfigException.BadValue("troupe.database." + key,
          "'" + value + "' is not a plain SQL identifier (letters, digits and _, at most 63)");
    }
    return value.toLowerCase(Locale.ROOT);
  }

  /**
   * The default H2 file database in {@code dataDir}. {@code DB_CLOSE_ON_EXIT=FALSE}: H2 must not
   * close the database in its own JVM shutdown hook while Pekko's coordinated shutdown still writes
   * to the journal; it closes when the last pool (ours and the journal's) closes, and a later
   * actor system in the same JVM simply opens it again.
   */
  public static String h2FileUrl(Path dataDir) {
    Path file = dataDir.toAbsolutePath().normalize().resolve("troupe");
    return "jdbc:h2:file:" + file.toString().replace('\\', '/') + ";DB_CLOSE_ON_EXIT=FALSE;CASE_INSENSITIVE_IDENTIFIERS=TRUE";
  }

  static Vendor vendorOf(String url) {
    if (url.startsWith("jdbc:h2:")) {
      return Vendor.H2;
    }
    if (url.startsWith("jdbc:postgresql:")) {
      return Vendor.POSTGRESQL;
    }
    throw new ConfigException.BadValue(
        "troupe.database.url", "only jdbc:h2: and jdbc:postgresql: URLs are supported");
  }

  private static final Pattern SECRET = Pattern.compile("(?i)(password=)[^&;\\s]*");

  /** Masks a password given in a URL or a message. */
  static String redact(String text) {
    return SECRET.matcher(text).replaceAll("$1***");
  }

  /** Without the passwords. */
  @Override
  public String toString() {
    return "DatabaseSettings[url=" + redact(url) + ", user=" + user + ", vendor=" + vendor
        + ", journalSchema=" + journalSchemaName() + ", poolSize=" + poolSize + "]";
  }
}
