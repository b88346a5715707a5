package io.troupe.db.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.core.inbox.InboxEntry;
import io.troupe.core.inbox.InboxStore;
import io.troupe.core.json.Json;
import io.troupe.db.DatabaseSettings;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The intent inbox in the table {@code <journal-schema>.intent_inbox} (migration V5), which every
 * node shares. Its own small pool of the main user's connections, in auto-commit: each call is one
 * statement (a put whose key is taken reads the entry written before). Blocking: call it off the
 * actors' threads.
 */
public final class JdbcIntentInbox implements InboxStore, AutoCloseable {

  private static final String UNIQUE_VIOLATION = "23505";

  private final HikariDataSource pool;
  private final String insert;
  private final String byKey;
  private final String pending;
  private final String delete;
  private final String sessions;

  /** Opens the pool (at once: it fails when the database is unreachable); the table must exist. */
  public JdbcIntentInbox(DatabaseSettings settings) {
    String table = "\"" + settings.journalSchemaName() + "\".\"intent_inbox\"";
    String columns = "\"inbox_id\", \"session_id\", \"idempotency_key\", \"request\", \"accepted_at\"";
    this.insert = "INSERT INTO " + table
        + " (\"session_id\", \"idempotency_key\", \"request\", \"accepted_at\", \"written_at\") VALUES (?, ?, ?, ?, ?)";
    this.byKey = "SELECT " + columns + " FROM " + table + " WHERE \"session_id\" = ? AND \"idempotency_key\" = ?";
    this.pending = "SELECT " + columns + " FROM " + table + " WHERE \"session_id\" = ? ORDER BY \"inbox_id\" LIMIT ?";
    this.delete = "DELETE FROM " + table + " WHERE \"inbox_id\" = ?";
    this.sessions = "SELECT DISTINCT \"session_id\" FROM " + table + " WHERE \"written_at\" <= ? ORDER BY \"session_id\" LIMIT ?";
    HikariConfig config = new HikariConfig();
    config.setPoolName("troupe-intent-inbox");
    config.setJdbcUrl(settings.url());
    config.setDriverClassName(settings.driver());
    config.setUsername(settings.user().isEmpty() ? null : settings.user());
    config.setPassword(settings.password().isEmpty() ? null : settings.password());
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(1);
    config.setAutoCommit(true);
    config.setConnectionTimeout(Math.max(250, settings.connectionTimeout().toMillis()));
    if (settings.vendor() == DatabaseSettings.Vendor.POSTGRESQL) {
      config.addDataSourceProperty("ApplicationName", "troupe-inbox");
    }
    this.pool = new HikariDataSource(config);
  }

  @Override
  public InboxEntry put(InboxEntry entry) throws SQLException, IOException {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement st = c.prepareStatement(insert, new String[] {"inbox_id"})) {
        st.setString(1, entry.sessionId());
        st.setString(2, entry.idempotencyKey());
        st.setBytes(3, encode(entry));
        st.setLong(4, entry.acceptedNanos());
        st.setLong(5, System.currentTimeMillis());
        st.executeUpdate();
        try (ResultSet keys = st.getGeneratedKeys()) {
          if (!keys.next()) throw new SQLException("the inbox gave no id");
          return entry.withInboxId(keys.getLong(1));
        }
      } catch (SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
      }
      try (PreparedStatement st = c.prepareStatement(byKey)) { // a retry: the entry written before
        st.setString(1, entry.sessionId());
        st.setString(2, entry.idempotencyKey());
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) throw new SQLException("an inbox entry of that key was taken meanwhile; try again");
          return decode(rs);
        }
      }
    }
  }

  @Override
  public List<InboxEntry> pending(String sessionId, int limit) throws SQLException, IOException {
    try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(pending)) {
      st.setString(1, sessionId);
      st.setInt(2, limit);
      List<InboxEntry> entries = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) entries.add(decode(rs));
      }
      return entries;
    }
  }

  @Override
  public void remove(List<Long> inboxIds) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(delete)) {
      for (long id : inboxIds) {
        st.setLong(1, id);
        st.addBatch();
      }
      st.executeBatch();
    }
  }

  @Override
  public List<String> sessionsWithPending(long olderThanMillis, int limit) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(sessions)) {
      st.setLong(1, System.currentTimeMillis() - olderThanMillis);
      st.setInt(2, limit);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) ids.add(rs.getString(1));
      }
      return ids;
    }
  }

  private static byte[] encode(InboxEntry entry) {
    ObjectNode request = Json.object().put("text", entry.text());
    if (entry.metadata() != null) request.set("metadata", entry.metadata());
    if (entry.agent() != null) request.put("agent", entry.agent());
    if (entry.traceParent() != null) request.put("traceparent", entry.traceParent());
    return Json.writeBytes(request);
  }

  private static InboxEntry decode(ResultSet rs) throws SQLException, IOException {
    JsonNode request = Json.MAPPER.readTree(rs.getBytes(4));
    JsonNode metadata = request.get("metadata");
    return new InboxEntry(rs.getLong(1), rs.getString(2), rs.getString(3), request.path("text").asText(),
        metadata == null || metadata.isNull() ? null : metadata,
        request.hasNonNull("agent") ? request.get("agent").asText() : null,
        request.hasNonNull("traceparent") ? request.get("traceparent").asText() : null,
        rs.getLong(5));
  }

  @Override
  public void close() {
    pool.close();
  }
}
