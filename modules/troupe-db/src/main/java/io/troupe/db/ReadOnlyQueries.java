package io.troupe.db;

import io.troupe.core.db.Database.QueryResult;
import io.troupe.db.DatabaseSettings.Vendor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.core.Parser;

/**
 * Runs one statement read-only. Blocking: call it on the database dispatcher only.
 *
 * <p>How writes are refused, by the database itself:
 *
 * <ul>
 *   <li>H2 has no read-only transactions (setReadOnly is only a hint), so the pool logs in as a
 *       user with SELECT rights only; H2 answers any write or DDL with "Not enough rights".
 *   <li>PostgreSQL: the pool's connections are read-only, so every transaction starts with BEGIN
 *       READ ONLY. Before the statement, one SELECT sets a transaction-local statement_timeout,
 *       standard_conforming_strings and the reader role, and checks that transaction_read_only is
 *       on; after that first query the transaction can no longer be switched to read-write. The
 *       JDBC driver would run "COMMIT; INSERT ..." as two statements, the second outside the
 *       read-only transaction, so more than one statement (as the driver's own parser splits them)
 *       is refused.
 * </ul>
 *
 * <p>How the journal schema stays unread: H2's reader has no rights on it; PostgreSQL's reader role
 * has no USAGE on it, and {@link PostgresQueryGuard} refuses statements that could switch the role
 * back (set_config, DO, SET ROLE, functions that run SQL text, ...). {@link H2QueryGuard} refuses
 * SET and USE, which would outlast the rollback in the pooled H2 session.
 *
 * The transaction is always rolled back.
 */
final class ReadOnlyQueries {
  private static final int FETCH_SIZE = 500;
  private static final String PG_PREPARE =
      "SELECT set_config('statement_timeout', ?, true), set_config('standard_conforming_strings', 'on', true), "
          + "current_setting('transaction_read_only')";

  private ReadOnlyQueries() {}

  /** A failure whose message can go back to the caller as it is. */
  static final class QueryFailed extends Exception {
    QueryFailed(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * @param role the PostgreSQL role to run the statement as (SET LOCAL ROLE), or null; a plain
   *     identifier (validated by {@link DatabaseSettings})
   */
  static QueryResult run(
      DataSource pool, Vendor vendor, String role, String sql, List<Object> parameters, int maxRows, Duration timeout)
      throws QueryFailed {
    String refusal = vendor == Vendor.POSTGRESQL ? PostgresQueryGuard.refusal(sql) : H2QueryGuard.refusal(sql);
    if (refusal != null) {
      throw new QueryFailed("query refused: " + refusal);
    }
    try (Connection connection = pool.getConnection()) {
      try {
        connection.setReadOnly(true);
        connection.setAutoCommit(false);
        if (vendor == Vendor.POSTGRESQL) {
          requireSingleStatement(sql);
          beginPostgres(connection, role, timeout);
        }
        return execute(connection, sql, parameters, maxRows, timeout);
      } finally {
        rollbackQuietly(connection);
      }
    } catch (SQLTimeoutException e) {
      throw timedOut(timeout);
    } catch (SQLException e) {
      if ("57014".equals(e.getSQLState())) { // query_canceled: statement_timeout or cancel
        throw timedOut(timeout);
      }
      throw new QueryFailed("query failed: " + message(e));
    }
  }

  private static QueryResult execute(
      Connection connection, String sql, List<Object> parameters, int maxRows, Duration timeout)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setMaxRows(maxRows + 1); // one more row tells that the result was truncated
      statement.setFetchSize(Math.min(maxRows + 1, FETCH_SIZE));
      statement.setQueryTimeout(clientTimeoutSeconds(timeout));
      for (int i = 0; i < parameters.size(); i++) {
        statement.setObject(i + 1, parameters.get(i));
      }
      if (!statement.execute()) {
        return new QueryResult(List.of(), List.of(), false); // no result set
      }
      try (ResultSet rs = statement.getResultSet()) {
        ResultSetMetaData meta = rs.getMetaData();
        int count = meta.getColumnCount();
        List<String> columns = new ArrayList<>(count);
        int[] types = new int[count];
        String[] typeNames = new String[count];
        for (int c = 1; c <= count; c++) {
          columns.add(meta.getColumnLabel(c));
          types[c - 1] = meta.getColumnType(c);
          typeNames[c - 1] = meta.getColumnTypeName(c);
        }
        List<List<Object>> rows = new ArrayList<>();
        boolean truncated = false;
        while (rs.next()) {
          if (rows.size() == maxRows) {
            truncated = true;
            break;
          }
          List<Object> row = new ArrayList<>(count);
          for (int c = 1; c <= count; c++) {
            row.add(JdbcValues.read(rs, c, types[c - 1], typeNames[c - 1]));
          }
          rows.add(row);
        }
        return new QueryResult(columns, rows, truncated);
      }
    }
  }

  /**
   * The first query of the transaction: sets the server-side timeout, the reader role and the string
   * syntax {@link PostgresQueryGuard} assumes, and proves read-only. The role is a literal, not a
   * parameter: the driver may keep this statement prepared on the server, and it must not be
   * reusable with another role.
   */
  private static void beginPostgres(Connection connection, String role, Duration timeout) throws SQLException {
    String prepare = role == null ? PG_PREPARE : PG_PREPARE + ", set_config('role', '" + role + "', true)";
    try (PreparedStatement statement = connection.prepareStatement(prepare)) {
      statement.setString(1, Long.toString(Math.max(1, timeout.toMillis())));
      try (ResultSet rs = statement.executeQuery()) {
        if (!rs.next() || !"on".equals(rs.getString(2))) {
          throw new SQLException("refusing to run: the transaction is not read-only");
        }
      }
    }
  }

  private static void requireSingleStatement(String sql) throws SQLException {
    // The PostgreSQL driver's own splitter; empty statements (a trailing ";") are not counted.
    if (Parser.parseJdbcSql(sql, true, true, true, false, false).size() > 1) {
      throw new SQLException("only one SQL statement is allowed");
    }
  }

  /** The driver's timeout is a backstop in whole seconds; PostgreSQL's statement_timeout fires first. */
  private static int clientTimeoutSeconds(Duration timeout) {
    long seconds = (timeout.toMillis() + 999) / 1000;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, seconds));
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // The pool rolls back or evicts the connection on return.
    }
  }

  private static QueryFailed timedOut(Duration timeout) {
    return new QueryFailed("query timed out after " + timeout.toMillis() + " ms");
  }

  private static String message(SQLException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
    return message.length() > 1000 ? message.substring(0, 1000) + "..." : message;
  }
}
