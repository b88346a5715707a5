package io.troupe.core.session;

import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import io.troupe.core.db.Database.FindOpenSessions;
import io.troupe.core.db.Database.OpenSessions;
import io.troupe.core.inbox.IntentInbox;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.pattern.StatusReply;

/**
 * Finds the sessions with an intent accepted or running and starts them, so that a run orphaned by
 * a crashed node resumes (sessions are not remembered entities). One per cluster, a singleton:
 * every {@code troupe.agent.recovery.interval} it sends {@link FindOpenSessions} to the database
 * subsystem of its node, and sends {@link SessionEntity.Wake} through Cluster Sharding to each
 * session in the answer. Waking a live session costs one message and changes nothing; a session
 * that is not running anywhere starts, and its recovery resumes the orphaned run.
 *
 * <p>One question at a time: a tick while one is open is skipped, and an unanswered one is given up
 * after the reply timeout. Replies come through one adapter, so a reply that comes after its
 * timeout may be taken for the next question's answer: harmless, as waking is idempotent. Failures
 * and timeouts are logged at debug only: with an in-memory journal (tests, benchmarks) or while the
 * database is down there is nothing to find, and nothing to do about it here.
 */
public final class OpenIntentSweeper extends AbstractBehavior<OpenIntentSweeper.Command> {

  public static final String NAME = "open-intent-sweeper";

  public interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Answer(StatusReply<OpenSessions> reply) implements Command {}

  private record TimedOut(long attempt) implements Command {}

  private record InboxPending(List<String> sessionIds, Throwable failure) implements Command {}

  /** A member left the cluster: its sessions' shards start elsewhere, so look now, not at the next tick. */
  private record MemberLeft(ClusterEvent.MemberRemoved event) implements Command {}

  /** Inbox entries younger than this are left to the ingress's own tell. */
  private static final long INBOX_GRACE_MILLIS = 1000;
  private static final Object SOON = "soon";
  private static final Object SOON_AGAIN = "soon-again";

  private static final Object TICK = "tick";
  private static final Object TIMEOUT = "timeout";

  /**
   * {@code troupe.agent.recovery}: how often to look (zero: never), how long to wait for the
   * database's answer, and how many sessions one answer names at most.
   */
  public record Settings(Duration interval, Duration replyTimeout, int maxSessions) {
    public static Settings fromConfig(Config troupe) {
      Config c = troupe.getConfig("agent.recovery");
      return new Settings(c.getDuration("interval"), c.getDuration("reply-timeout"), c.getInt("max-sessions"));
    }

    public boolean enabled() {
      return !interval.isZero() && !interval.isNegative();
    }
  }

  /** Starts the cluster's sweeper (on the oldest node) unless {@code settings} disable it. */
  public static void init(ActorSystem<?> system, ActorRef<Database.Command> database, Settings settings) {
    if (!settings.enabled()) {
      return;
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    Consumer<String> wake = sessionId -> sharding.entityRefFor(SessionEntity.TYPE_KEY, sessionId).tell(new SessionEntity.Wake());
    Consumer<String> takeInbox =
        sessionId -> sharding.entityRefFor(SessionEntity.TYPE_KEY, sessionId).tell(new SessionEntity.TakeInbox());
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(sweepingAtStart(create(database, settings, wake, takeInbox)))
            .onFailure(SupervisorStrategy.restart()), NAME));
  }

  /** A singleton that starts on a new node (its old one left) looks at once. */
  private static Behavior<Command> sweepingAtStart(Behavior<Command> sweeper) {
    return Behaviors.setup(ctx -> {
      ctx.getSelf().tell(Tick.INSTANCE);
      return sweeper;
    });
  }

  /** The sweeper, with {@code wake} called for each session id found. */
  public static Behavior<Command> create(ActorRef<Database.Command> database, Settings settings, Consumer<String> wake) {
    return create(database, settings, wake, sessionId -> {});
  }

  /** As above, and {@code takeInbox} called for each session with entries waiting in the intent inbox. */
  public static Behavior<Command> create(ActorRef<Database.Command> database, Settings settings, Consumer<String> wake,
      Consumer<String> takeInbox) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new OpenIntentSweeper(ctx, timers, database, settings, wake, takeInbox)));
  }

  private final TimerScheduler<Command> timers;
  private final ActorRef<Database.Command> database;
  private final Settings settings;
  private final Consumer<String> wake;
  private final Consumer<String> takeInbox;
  private final IntentInbox inbox;
  private final ActorRef<StatusReply<OpenSessions>> replies;
  private long attempt;
  private boolean awaiting;
  private boolean inboxAwaiting;

  private OpenIntentSweeper(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<Database.Command> database,
      Settings settings, Consumer<String> wake, Consumer<String> takeInbox) {
    super(ctx);
    this.timers = timers;
    this.database = database;
    this.settings = settings;
    this.wake = wake;
    this.takeInbox = takeInbox;
    this.inbox = IntentInbox.get(ctx.getSystem());
    if ("cluster".equals(ctx.getSystem().settings().config().getString("pekko.actor.provider"))) {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MemberLeft::new), ClusterEvent.MemberRemoved.class));
    }
    @SuppressWarnings("unchecked")
    Class<StatusReply<OpenSessions>> replyClass = (Class<StatusReply<OpenSessions>>) (Class<?>) StatusReply.class;
    this.replies = ctx.messageAdapter(replyClass, Answer::new);
    if (settings.enabled()) {
      timers.startTimerWithFixedDelay(TICK, Tick.INSTANCE, settings.interval());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(TimedOut.class, this::onTimedOut)
        .onMessage(InboxPending.class, this::onInboxPending)
        .onMessage(MemberLeft.class, this::onMemberLeft)
        .build();
  }

  private Behavior<Command> onMemberLeft(MemberLeft left) {
    Duration after = afterMemberLeft(getContext().getSystem().settings().config());
    getContext().getLog().info("open intents: {} left the cluster; looking for its sessions' intents in {} ms",
        left.event().member().address(), after.toMillis());
    timers.startSingleTimer(SOON, Tick.INSTANCE, after);
    timers.startSingleTimer(SOON_AGAIN, Tick.INSTANCE, after.plusSeconds(1)); // if the first was too early
    return this;
  }

  /**
   * Its shards start elsewhere once the down-removal margin has passed (the split brain resolver's
   * stable-after when the margin is off); a wake sent before would still go to the gone member.
   */
  static Duration afterMemberLeft(com.typesafe.config.Config config) {
    String margin = "pekko.cluster.down-removal-margin";
    Duration wait = Duration.ZERO;
    if (config.hasPath(margin) && !"off".equalsIgnoreCase(config.getString(margin))) {
      wait = config.getDuration(margin);
    } else if (config.hasPath("pekko.cluster.split-brain-resolver.stable-after")) {
      wait = config.getDuration("pekko.cluster.split-brain-resolver.stable-after");
    }
    return wait.plusMillis(200);
  }

  private Behavior<Command> onInboxPending(InboxPending pending) {
    inboxAwaiting = false;
    if (pending.failure() != null) {
      getContext().getLog().debug("open intents: the inbox could not answer: {}", pending.failure().toString());
      return this;
    }
    if (!pending.sessionIds().isEmpty()) {
      getContext().getLog().info("open intents: {} session(s) have intents waiting in the inbox", pending.sessionIds().size());
    }
    pending.sessionIds().forEach(takeInbox);
    return this;
  }

  private Behavior<Command> onTick() {
    if (inbox.available() && !inboxAwaiting) {
      inboxAwaiting = true;
      getContext().pipeToSelf(inbox.sessionsWithPending(INBOX_GRACE_MILLIS, settings.maxSessions()), InboxPending::new);
    }
    if (awaiting) {
      getContext().getLog().debug("open intents: question {} still unanswered, skipping a tick", attempt);
      return this;
    }
    attempt++;
    awaiting = true;
    database.tell(new FindOpenSessions(settings.maxSessions(), replies));
    timers.startSingleTimer(TIMEOUT, new TimedOut(attempt), settings.replyTimeout());
    return this;
  }

  private Behavior<Command> onAnswer(Answer answer) {
    if (!awaiting) {
      getContext().getLog().debug("open intents: a late answer, ignored");
      return this;
    }
    awaiting = false;
    timers.cancel(TIMEOUT);
    StatusReply<OpenSessions> reply = answer.reply();
    if (reply.isError()) {
      getContext().getLog().debug("open intents: the database could not answer: {}", reply.getError().getMessage());
      return this;
    }
    var ids = reply.getValue().sessionIds();
    if (!ids.isEmpty()) {
      getContext().getLog().debug("open intents: waking {} session(s)", ids.size());
    }
    for (String id : ids) {
      wake.accept(id);
    }
    return this;
  }

  private Behavior<Command> onTimedOut(TimedOut timedOut) {
    if (awaiting && timedOut.attempt() == attempt) {
      awaiting = false;
      getContext().getLog().debug("open intents: no answer from the database within {} ms",
          settings.replyTimeout().toMillis());
    }
    return this;
  }
}
