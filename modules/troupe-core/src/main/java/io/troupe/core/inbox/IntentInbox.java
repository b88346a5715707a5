package io.troupe.core.inbox;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's handle on the intent inbox (issue 17): the ingress writes a submission here when its
 * session does not answer in time because a node is unreachable, and answers 202; the session takes
 * its entries when told, or when the open-intent sweeper finds them. Available once the database
 * subsystem has attached a store; every call runs on that store's blocking executor.
 */
public final class IntentInbox implements Extension {

  private static final ExtensionId<IntentInbox> ID = new ExtensionId<>() {
    @Override
    public IntentInbox createExtension(ActorSystem<?> system) {
      return new IntentInbox();
    }
  };

  public static IntentInbox get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private record Attached(InboxStore store, Executor executor) {}

  private final AtomicReference<Attached> attached = new AtomicReference<>();

  /** Uses {@code store}, called on {@code executor} (a blocking dispatcher). */
  public void attach(InboxStore store, Executor executor) {
    attached.set(new Attached(store, executor));
  }

  /** Stops using {@code store} if it is the attached one. */
  public void detach(InboxStore store) {
    attached.updateAndGet(a -> a != null && a.store() == store ? null : a);
  }

  public boolean available() {
    return attached.get() != null;
  }

  public CompletionStage<InboxEntry> put(InboxEntry entry) {
    return call(store -> store.put(entry));
  }

  public CompletionStage<List<InboxEntry>> pending(String sessionId, int limit) {
    return call(store -> store.pending(sessionId, limit));
  }

  public CompletionStage<Void> remove(List<Long> inboxIds) {
    if (inboxIds.isEmpty()) return CompletableFuture.completedFuture(null);
    return call(store -> {
      store.remove(inboxIds);
      return null;
    });
  }

  /** Removes the session's entries; done at once when no store is attached (nothing can be waiting). */
  public CompletionStage<Void> removeSession(String sessionId) {
    if (!available()) return CompletableFuture.completedFuture(null);
    return call(store -> {
      store.removeSession(sessionId);
      return null;
    });
  }

  public CompletionStage<List<String>> sessionsWithPending(long olderThanMillis, int limit) {
    return call(store -> store.sessionsWithPending(olderThanMillis, limit));
  }

  private interface StoreCall<T> {
    T apply(InboxStore store) throws Exception;
  }

  private <T> CompletionStage<T> call(StoreCall<T> call) {
    Attached a = attached.get();
    if (a == null) return CompletableFuture.failedFuture(new IllegalStateException("the intent inbox is not available"));
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.apply(a.store());
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, a.executor());
  }
}
