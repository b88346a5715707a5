package io.troupe.http.intents;

import io.troupe.core.inbox.InboxEntry;
import io.troupe.core.inbox.IntentInbox;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.trace.TraceParent;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Accepting through the intent inbox (issue 17, docs/operations.md): while some cluster member is
 * unreachable, a session whose shard lived there cannot answer until that member is downed and the
 * shard starts elsewhere. Then a submission waits for its session at most {@code troupe.http.inbox-after},
 * and is otherwise written to the shared inbox and answered 202 with an id of the inbox's
 * ({@code <session>.i<n>}); the session journals it when told, or when the sweeper finds it.
 */
public final class InboxFallback {

  /** No inbox: every submission waits for its session (tests, and nodes without a database). */
  public static final InboxFallback NONE = new InboxFallback(null, () -> false, id -> null, Duration.ZERO);

  private final IntentInbox inbox;
  private final BooleanSupplier someMemberUnreachable;
  private final Function<String, RecipientRef<SessionEntity.Command>> sessions;
  private final Duration waitForSession;

  private InboxFallback(IntentInbox inbox, BooleanSupplier someMemberUnreachable,
      Function<String, RecipientRef<SessionEntity.Command>> sessions, Duration waitForSession) {
    this.inbox = inbox;
    this.someMemberUnreachable = someMemberUnreachable;
    this.sessions = sessions;
    this.waitForSession = waitForSession;
  }

  /** The node's: {@code troupe.http.inbox-after}, and the cluster's view of unreachable members. */
  public static InboxFallback of(ActorSystem<?> system, Function<String, RecipientRef<SessionEntity.Command>> sessions) {
    Duration after = system.settings().config().getDuration("troupe.http.inbox-after");
    if (after.isZero() || !"cluster".equals(system.settings().config().getString("pekko.actor.provider"))) return NONE;
    Cluster cluster = Cluster.get(system);
    return of(IntentInbox.get(system), () -> !cluster.state().getUnreachable().isEmpty(), sessions, after);
  }

  /** With {@code someMemberUnreachable} saying when the inbox may be used (tests decide it themselves). */
  public static InboxFallback of(IntentInbox inbox, BooleanSupplier someMemberUnreachable,
      Function<String, RecipientRef<SessionEntity.Command>> sessions, Duration waitForSession) {
    return new InboxFallback(inbox, someMemberUnreachable, sessions, waitForSession);
  }

  /** Whether a submission now may go to the inbox if its session does not answer in time. */
  boolean applies() {
    return inbox != null && inbox.available() && someMemberUnreachable.getAsBoolean();
  }

  Duration waitForSession() {
    return waitForSession;
  }

  /** The request with a key of its own if it had none, so that the session and the inbox agree on it. */
  static SubmitRequest keyed(SubmitRequest r) {
    return r.idempotencyKey() != null ? r : r.with(r.sessionId(), "inbox:" + UUID.randomUUID());
  }

  /** Writes the submission (a retry with its key gets the same entry) and tells its session. */
  CompletionStage<IntentView> accept(SubmitRequest r, TraceParent trace) {
    String traceparent = trace == null ? null : TraceParent.header(trace.traceId(), trace.parentSpanId(), trace.sampled());
    InboxEntry entry = new InboxEntry(0, r.sessionId(), r.idempotencyKey(), r.text(), r.metadata(), r.agent(), traceparent,
        TraceClock.nowEpochNanos());
    return inbox.put(entry).thenApply(written -> {
      sessions.apply(written.sessionId()).tell(new SessionEntity.TakeInbox());
      return new IntentView(written.intentId(), written.sessionId(), IntentStatus.ACCEPTED, written.text(),
          written.metadata(), written.acceptedNanos(), 0, null, List.of(), IntentUsage.NONE, null, null, written.agent());
    });
  }
}
