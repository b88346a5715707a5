package io.troupe.core.db;

import io.troupe.core.CborSerializable;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/** Protocol of the database subsystem (implemented in troupe-db). */
public final class Database {
  private Database() {}

  public interface Command {}

  /**
   * Runs one statement on a read-only connection in a read-only transaction, at most
   * {@code maxRows} rows, cancelled after {@code timeout}.
   */
  public record ReadOnlyQuery(
      String sql, List<Object> parameters, int maxRows, Duration timeout, ActorRef<StatusReply<QueryResult>> replyTo)
      implements Command, CborSerializable {}

  /** Rows as lists of JSON-friendly values, in column order. */
  public record QueryResult(List<String> columns, List<List<Object>> rows, boolean truncated)
      implements CborSerializable {}
}
