package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.inbox.InboxEntry;
import io.troupe.core.json.Json;
import io.troupe.db.inbox.JdbcIntentInbox;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link JdbcIntentInbox} on a freshly migrated database, run against each supported one by a subclass. */
abstract class JdbcIntentInboxContract {

  /** {@code troupe.database.*} keys and {@code troupe.data-dir} of a new, empty database. */
  protected abstract Map<String, Object> freshDatabase() throws Exception;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closing) c.close();
  }

  private JdbcIntentInbox inbox() throws Exception {
    DatabaseSettings settings = DatabaseSettings.fromConfig(JdbcTraceSinkContract.troupeConfig(freshDatabase()));
    closing.add(DatabaseBootstrap.open(settings));
    JdbcIntentInbox inbox = new JdbcIntentInbox(settings);
    closing.add(inbox);
    return inbox;
  }

  private static InboxEntry entry(String session, String key, String text) {
    return new InboxEntry(0, session, key, text, Json.object().put("ticket", 7), null, null, 1_000L);
  }

  @Test
  void anEntryIsWrittenOncePerKeyAndReadBackInOrder() throws Exception {
    JdbcIntentInbox inbox = inbox();
    InboxEntry first = inbox.put(new InboxEntry(0, "s-1", "k-1", "What is 2 + 2?", null, "billing",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 1_000L));
    InboxEntry second = inbox.put(entry("s-1", "k-2", "And 3 + 3?"));
    InboxEntry retried = inbox.put(entry("s-1", "k-1", "What is 2 + 2? (sent again)"));
    inbox.put(entry("s-2", "k-1", "another session, the same key"));

    assertNotEquals(first.inboxId(), second.inboxId());
    assertEquals(first, retried, "a retry with the key gets the entry written first");
    assertEquals("s-1.i" + first.inboxId(), first.intentId());
    List<InboxEntry> pending = inbox.pending("s-1", 10);
    assertEquals(List.of(first, second), pending);
    assertEquals("billing", pending.get(0).agent());
    assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", pending.get(0).traceParent());
    assertNull(pending.get(0).metadata());
    assertEquals(7, pending.get(1).metadata().path("ticket").asInt());
    assertEquals(1, inbox.pending("s-1", 1).size());
  }

  @Test
  void removedEntriesAreGoneAndOnlyOldEnoughSessionsAreListed() throws Exception {
    JdbcIntentInbox inbox = inbox();
    InboxEntry a = inbox.put(entry("s-a", "k", "one"));
    inbox.put(entry("s-b", "k", "two"));

    assertEquals(List.of("s-a", "s-b"), inbox.sessionsWithPending(0, 10));
    assertEquals(List.of(), inbox.sessionsWithPending(60_000, 10), "written just now: left to the ingress's tell");
    assertEquals(List.of("s-a"), inbox.sessionsWithPending(0, 1));

    inbox.remove(List.of(a.inboxId()));
    assertTrue(inbox.pending("s-a", 10).isEmpty());
    assertEquals(List.of("s-b"), inbox.sessionsWithPending(0, 10));
    InboxEntry again = inbox.put(entry("s-a", "k", "one"));
    assertNotEquals(a.inboxId(), again.inboxId(), "a key is free again once its entry was taken");
  }
}
