package io.troupe.db.trace;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.core.session.IntentView;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceSink;
import io.troupe.db.DatabaseSettings;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Optional;

/**
 * The trace store's sink: the table {@code <journal-schema>.intent_traces} (migration V3), one row
 * per finished intent with the {@link StoredIntent} encoded (CBOR; rows written as JSON still read). Writes are upserts (a resumed intent
 * finishes again), one transaction per batch. It has its own small pool of the main user's
 * connections, since the query pool is read-only and confined to the application schema. Blocking:
 * call it off the actors' threads.
 */
public final class JdbcTraceSink implements TraceSink, AutoCloseable {

  /** Quoted lower case, as the migrations create them (H2 would upper-case unquoted names). */
  private static final String COLUMNS = "\"intent_id\", \"session_id\", \"trace_id\", \"status\", \"finished_at\", \"record\"";

  private final HikariDataSource pool;
  private final String table;
  private final String upsert;
  private final String select;
  private final String deleteSession;

  /** Opens the pool (at once: it fails when the database is unreachable); the table must exist. */
  public JdbcTraceSink(DatabaseSettings settings) {
    this(settings, 2);
  }

  public JdbcTraceSink(DatabaseSettings settings, int connections) {
    this.table = "\"" + settings.journalSchemaName() + "\".\"intent_traces\"";
    this.upsert = settings.vendor() == DatabaseSettings.Vendor.H2
        ? "MERGE INTO " + table + " (" + COLUMNS + ") KEY (\"intent_id\") VALUES (?, ?, ?, ?, ?, ?)"
        : "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (\"intent_id\") DO UPDATE SET "
            + "\"session_id\" = EXCLUDED.\"session_id\", \"trace_id\" = EXCLUDED.\"trace_id\", "
            + "\"status\" = EXCLUDED.\"status\", \"finished_at\" = EXCLUDED.\"finished_at\", \"record\" = EXCLUDED.\"record\"";
    this.select = "SELECT \"record\" FROM " + table + " WHERE \"intent_id\" = ?";
    this.deleteSession = "DELETE FROM " + table + " WHERE \"session_id\" = ?";
    HikariConfig config = new HikariConfig();
    config.setPoolName("troupe-trace-sink");
    config.setJdbcUrl(settings.url());
    config.setDriverClassName(settings.driver());
    config.setUsername(settings.user().isEmpty() ? null : settings.user());
    config.setPassword(settings.password().isEmpty() ? null : settings.password());
    config.setMaximumPoolSize(Math.max(1, connections));
    config.setMinimumIdle(1);
    config.setAutoCommit(false);
    config.setConnectionTimeout(Math.max(250, settings.connectionTimeout().toMillis()));
    if (settings.vendor() == DatabaseSettings.Vendor.POSTGRESQL) {
      config.addDataSourceProperty("ApplicationName", "troupe-traces");
    }
    this.pool = new HikariDataSource(config);
  }

  /** The table, qualified by the journal schema, quoted. */
  public String table() {
    return table;
  }

  @Override
  public void write(List<StoredIntent> batch) throws SQLException {
    if (batch.isEmpty()) return;
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement st = c.prepareStatement(upsert)) {
        for (StoredIntent stored : batch) {
          IntentView v = stored.view();
          st.setString(1, v.id());
          st.setString(2, v.sessionId());
          if (v.traceId() == null) st.setNull(3, Types.VARCHAR); else st.setString(3, v.traceId());
          st.setString(4, v.status() == null ? "unknown" : v.status().json());
          st.setLong(5, v.finishedNanos());
          st.setBytes(6, stored.encode());
          st.addBatch();
        }
        st.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    }
  }

  @Override
  public Optional<StoredIntent> read(String intentId) throws SQLException, IOException {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement st = c.prepareStatement(select)) {
        st.setString(1, intentId);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() ? Optional.of(StoredIntent.decode(rs.getBytes(1))) : Optional.empty();
        }
      } finally {
        rollbackQuietly(c); // ends the read's transaction
      }
    }
  }

  @Override
  public int deleteSession(String sessionId) throws SQLException {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement st = c.prepareStatement(deleteSession)) {
        st.setString(1, sessionId);
        int deleted = st.executeUpdate();
        c.commit();
        return deleted;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection goes back to the pool, which checks it
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
