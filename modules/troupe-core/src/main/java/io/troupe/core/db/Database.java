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

  /** Tag of every journaled event that accepts an intent (see {@link FindOpenSessions}). */
  public static final String INTENT_OPEN_TAG = "troupe-intent-open";

  /** Tag of every journaled event that finishes an intent, one per {@link #INTENT_OPEN_TAG}. */
  public static final String INTENT_CLOSED_TAG = "troupe-intent-closed";

  /**
   * Finds the sessions that have an intent accepted or running: those whose journal holds more
   * events tagged {@link #INTENT_OPEN_TAG} than {@link #INTENT_CLOSED_TAG}. Reads the journal
   * schema as the main user (not through the read-only query account). At most {@code limit} ids.
   */
  public record FindOpenSessions(int limit, ActorRef<StatusReply<OpenSessions>> replyTo)
      implements Command, CborSerializable {}

  /** Session ids (persistence ids without the {@code Session|} prefix), in id order. */
  public record OpenSessions(List<String> sessionIds) implements CborSerializable {}
}
