package io.troupe.db;

import io.troupe.core.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * {@link Database.FindOpenSessions} in SQL: the sessions whose journal has more events tagged
 * {@link Database#INTENT_OPEN_TAG} than {@link Database#INTENT_CLOSED_TAG}. pekko-persistence-jdbc
 * writes the tags into {@code event_tag} in the event's own transaction, so the two counts never
 * disagree with the events. The same statement runs on H2 and PostgreSQL (every identifier quoted:
 * the H2 tables have quoted lower-case names). Blocking: call it on the database dispatcher only.
 */
final class OpenSessionsQuery {

  /** The persistence id prefix of sessions ({@code SessionEntity.TYPE_KEY} and PersistenceId's "|"). */
  static final String SESSION_PREFIX = "Session|";

  private OpenSessionsQuery() {}

  static String sql(String journalSchema) {
    String schema = "\"" + journalSchema.replace("\"", "\"\"") + "\"";
    return "SELECT j.\"persistence_id\" FROM " + schema + ".\"event_tag\" t"
        + " JOIN " + schema + ".\"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
        + " WHERE t.\"tag\" IN (?, ?) AND j.\"persistence_id\" LIKE ?"
        + " GROUP BY j.\"persistence_id\""
        + " HAVING SUM(CASE WHEN t.\"tag\" = ? THEN 1 ELSE 0 END) > SUM(CASE WHEN t.\"tag\" = ? THEN 1 ELSE 0 END)"
        + " ORDER BY j.\"persistence_id\" LIMIT ?";
  }

  /** Session ids without the prefix, in id order, at most {@code limit}. */
  static List<String> run(DataSource pool, String journalSchema, int limit, Duration timeout) throws SQLException {
    try (Connection connection = pool.getConnection()) {
      try (PreparedStatement st = connection.prepareStatement(sql(journalSchema))) {
        st.setQueryTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds())));
        st.setString(1, Database.INTENT_OPEN_TAG);
        st.setString(2, Database.INTENT_CLOSED_TAG);
        st.setString(3, SESSION_PREFIX + "%");
        st.setString(4, Database.INTENT_OPEN_TAG);
        st.setString(5, Database.INTENT_CLOSED_TAG);
        st.setInt(6, limit);
        List<String> ids = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1).substring(SESSION_PREFIX.length()));
          }
        }
        return ids;
      } finally {
        connection.rollback(); // read only; leaves the pooled connection without a transaction
      }
    }
  }
}
