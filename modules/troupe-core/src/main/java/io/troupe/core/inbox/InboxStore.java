package io.troupe.core.inbox;

import java.util.List;

/**
 * Where the inbox is kept: a table of the database every node shares (troupe-db). Blocking: the
 * {@link IntentInbox} calls it on a blocking executor.
 */
public interface InboxStore {

  /**
   * Writes {@code entry} and answers it with its id; an entry of the same session and idempotency
   * key written before is answered instead, so that a retry is not accepted twice.
   */
  InboxEntry put(InboxEntry entry) throws Exception;

  /** The session's entries, oldest first, at most {@code limit}. */
  List<InboxEntry> pending(String sessionId, int limit) throws Exception;

  /** Removes entries the session has journaled. */
  void remove(List<Long> inboxIds) throws Exception;

  /** Removes every entry of the session ({@code DELETE /v1/sessions/{id}}). */
  default void removeSession(String sessionId) throws Exception {
    for (List<InboxEntry> batch = pending(sessionId, 1000); !batch.isEmpty(); batch = pending(sessionId, 1000)) {
      remove(batch.stream().map(InboxEntry::inboxId).toList());
    }
  }

  /** Sessions with entries written at least {@code olderThanMillis} ago, at most {@code limit}. */
  List<String> sessionsWithPending(long olderThanMillis, int limit) throws Exception;
}
