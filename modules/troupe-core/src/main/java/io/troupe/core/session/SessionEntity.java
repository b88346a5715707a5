package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.Usage;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.trace.Ids;
import io.troupe.core.trace.TraceClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One conversation: an event-sourced entity under Cluster Sharding. It accepts intents, runs them
 * one at a time (later ones wait in order) through an {@link AgentRun} child, journals every
 * step, and serves reads, waits and event streams. An intent that was running when its node
 * stopped resumes from its journaled steps when the session comes back (under Cluster Sharding
 * with remembered entities: at once, on whichever node now owns it); a side-effecting tool call
 * is journaled before it runs, so a resumed run never repeats it blindly.
 */
public final class SessionEntity extends EventSourcedBehavior<SessionEntity.Command, SessionEntity.Event, SessionState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Session");

  public interface Command extends CborSerializable {}

  /**
   * Accepts a new intent. Replies with the accepted intent (its id is assigned here), or with the
   * existing one when {@code idempotencyKey} was seen before in this session.
   */
  public record Submit(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo)
      implements Command {}

  /** Replies with the intent, or an error {@code not_found: ...}. */
  public record Get(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** Replies once the intent is terminal (at once if it already is), or {@code not_found}. */
  public record AwaitTerminal(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /**
   * Streams the intent's events with a sequence number above {@code afterSeq} to the subscriber,
   * then {@link EventStream.Completed} once it is terminal (or {@link EventStream.NotFound}).
   */
  public record Subscribe(String intentId, long afterSeq, ActorRef<EventStream.Message> subscriber)
      implements Command {}

  /** Cancels a queued or running intent; {@code conflict} when already terminal. */
  public record Cancel(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** Starts the session if it is not running (its recovery resumes an orphaned run); nothing else. */
  public record Wake() implements Command {}

  /** From the run: an event for the stream and/or a finished step. */
  record RunProgress(String intentId, String eventType, JsonNode data, Step step, Usage modelUsage, boolean toolCall,
      ChatMessage message) implements Command {}

  /** From the run: several {@link RunProgress} reports of one intent, in order. */
  record RunProgressBatch(List<RunProgress> reports) implements Command {}

  /** From the run, before it starts a side-effecting tool call: journal it, then answer. */
  record RunEffectStarting(String intentId, String callId, String idempotencyKey, ActorRef<EffectRecorded> replyTo)
      implements Command {}

  record EffectRecorded(String callId) implements CborSerializable {}

  /** From the run: a streamed fragment of the model's text; published, not journaled. */
  record RunDelta(String intentId, String text) implements Command {}

  record RunFinished(String intentId, IntentStatus status, Outcome outcome, List<ChatMessage> transcript)
      implements Command {}

  private record RunStopped(String intentId) implements Command {}

  private record RecoverOrphanedRun() implements Command {}

  private record IdleCheck() implements Command {}

  /** Time to journal the steps buffered since the last write. */
  private enum FlushSteps implements Command { INSTANCE }

  private static final int MAX_UNFLUSHED = 64;

  /** A cancel that is still waiting for side effects under way: answer with the intent as it is. */
  private record CancelReplyDue(String intentId) implements Command {}

  private static final Duration CANCEL_REPLY_WITHIN = Duration.ofSeconds(1);

  /** The shard's stop message: the session has asked to be passivated. */
  private record Passivate() implements Command {}

  // Events: what the journal keeps.

  public sealed interface Event extends CborSerializable {}

  public record IntentAccepted(String intentId, String text, JsonNode metadata, String idempotencyKey, String traceId,
      long createdNanos) implements Event {}

  public record IntentStarted(String intentId, long startedNanos) implements Event {}

  /**
   * A step of a run. {@code message} extends the run's conversation: the model's tool calls, or a
   * tool's result; a resumed run starts from them.
   */
  public record IntentProgressed(String intentId, IntentEvent event, Step step, IntentUsage usage, ChatMessage message)
      implements Event {}

  /** Steps journaled in one write, as one event: one journal entry instead of one per step. */
  public record IntentProgressBatch(List<IntentProgressed> steps) implements Event {}

  /** A side-effecting tool call is about to run; journaled first, so a crash cannot hide it. */
  public record ToolEffectStarted(String intentId, String callId, String idempotencyKey) implements Event {}

  /** The run of an intent that its node stopped goes on from its journaled steps. */
  public record IntentResumed(String intentId, IntentEvent event) implements Event {}

  public record IntentFinished(String intentId, IntentStatus status, Outcome outcome, IntentEvent event,
      List<ChatMessage> transcript) implements Event {}

  /** Starts sharding for sessions on this node; entities run their loop against {@code subsystems}. */
  public static void init(ActorSystem<?> system, Subsystems subsystems, SessionSettings settings) {
    // Remembered sessions restart by themselves after a crash or a rebalance, so that their runs resume;
    // a session that passivates is forgotten. The coordinator's state and the remembered sessions live in
    // the journal: they survive the loss of every node and need no local disk (ddata would keep them in
    // LMDB files per node).
    boolean remember = system.settings().config().getBoolean("troupe.cluster.remember-sessions");
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system)
        .withNoPassivationStrategy()
        .withRememberEntities(remember)
        .withStateStoreMode(ClusterShardingSettings.stateStoreModePersistence())
        .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced());
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
            entityContext -> create(entityContext.getEntityId(), subsystems, settings, entityContext.getShard()))
        .withStopMessage(new Passivate())
        .withSettings(sharding));
  }

  /** A session outside sharding: it never passivates. */
  public static Behavior<Command> create(String sessionId, Subsystems subsystems, SessionSettings settings) {
    return create(sessionId, subsystems, settings, null);
  }

  /** A session that asks {@code shard} to passivate it once idle (no run, no listener, no request). */
  public static Behavior<Command> create(String sessionId, Subsystems subsystems, SessionSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (shard != null) {
        timers.startTimerWithFixedDelay(new IdleCheck(), settings.idleTimeout());
      }
      return new SessionEntity(ctx, timers, sessionId, subsystems, settings, shard);
    }));
  }

  /** The root span of an intent's trace is derived from its trace id. */
  static String rootSpanId(String traceId) {
    return traceId.substring(0, 16);
  }

  private final ActorContext<Command> ctx;
  private final String sessionId;
  private final Subsystems subsystems;
  private final SessionSettings settings;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private boolean requestedSinceIdleCheck = true;
  private final IntentAdmission admission;
  private long counted; // this session's share of IntentAdmission

  // Not journaled: the live run, and who waits for or listens to which intent.
  private ActorRef<AgentRun.Command> currentRun;
  private final Map<String, List<ActorRef<StatusReply<IntentView>>>> waiters = new HashMap<>();
  private final Map<String, List<ActorRef<EventStream.Message>>> subscribers = new HashMap<>();
  private final Map<String, List<ActorRef<StatusReply<IntentView>>>> cancelReplies = new HashMap<>();
  private final TimerScheduler<Command> timers;
  // Steps of the running intent not journaled yet (journal writes are batched), with where they leave it.
  private final List<IntentProgressed> unflushed = new ArrayList<>();
  private long unflushedLastSeq;
  private IntentUsage unflushedUsage;

  private SessionEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, String sessionId,
      Subsystems subsystems, SessionSettings settings, ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), sessionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.sessionId = sessionId;
    this.subsystems = subsystems;
    this.settings = settings;
    this.shard = shard;
    this.admission = IntentAdmission.get(ctx.getSystem());
  }

  /** Brings this session's share of the node's in-flight count up to date. */
  private void countInFlight(SessionState state) {
    long now = (state.running != null ? 1 : 0) + state.queued.size();
    admission.add(now - counted);
    counted = now;
  }

  @Override
  public SessionState emptyState() {
    return new SessionState();
  }

  @Override
  public SignalHandler<SessionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(PostStop.instance(), state -> {
          admission.add(-counted);
          counted = 0;
        })
        .onSignal(RecoveryCompleted.instance(), state -> {
          countInFlight(state);
          if (state.running != null || !state.queued.isEmpty()) {
            ctx.getSelf().tell(new RecoverOrphanedRun());
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, SessionState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Get.class, this::onGet)
        .onCommand(AwaitTerminal.class, this::onAwaitTerminal)
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(RunProgress.class, this::onRunProgress)
        .onCommand(RunProgressBatch.class, this::onRunProgressBatch)
        .onCommand(RunEffectStarting.class, this::onRunEffectStarting)
        .onCommand(RunDelta.class, this::onRunDelta)
        .onCommand(RunFinished.class, this::onRunFinished)
        .onCommand(RunStopped.class, this::onRunStopped)
        .onCommand(RecoverOrphanedRun.class, this::onRecoverOrphanedRun)
        .onCommand(IdleCheck.class, this::onIdleCheck)
        .onCommand(FlushSteps.class, this::onFlushSteps)
        .onCommand(CancelReplyDue.class, this::onCancelReplyDue)
        .onCommand(Passivate.class, (state, cmd) -> Effect().stop())
        .onCommand(Wake.class, (state, cmd) -> Effect().none())
        .build();
  }

  // Commands

  private Effect<Event, SessionState> onSubmit(SessionState state, Submit cmd) {
    requestedSinceIdleCheck = true;
    if (cmd.idempotencyKey() != null && state.intentByIdempotencyKey.containsKey(cmd.idempotencyKey())) {
      SessionState.IntentRecord existing = state.intent(state.intentByIdempotencyKey.get(cmd.idempotencyKey()));
      return Effect().none().thenRun(s -> cmd.replyTo().tell(StatusReply.success(existing.view(sessionId, s.usage))));
    }
    boolean busy = state.running != null || !state.queued.isEmpty() || currentRun != null;
    if (busy && settings.busyPolicy() == SessionSettings.BusyPolicy.REJECT) {
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.CONFLICT,
          "session " + sessionId + " is running another intent; retry when it has finished")));
      return Effect().none();
    }
    String intentId = IntentIds.of(sessionId, state.intentsAccepted + 1);
    List<Event> events = new ArrayList<>();
    List<String> superseded = new ArrayList<>();
    if (busy && settings.busyPolicy() == SessionSettings.BusyPolicy.INTERRUPT) {
      // The new intent replaces whatever runs or waits: they end cancelled, in order.
      if (state.running != null) superseded.add(state.running);
      superseded.addAll(state.queued);
      for (String id : superseded) {
        events.add(finished(state.intent(id), IntentStatus.CANCELLED, Outcome.failed("superseded",
            "A newer intent of the session (" + intentId + ") replaced this one.", "none"), List.of()));
      }
      if (currentRun != null) {
        ctx.stop(currentRun);
        currentRun = null;
      }
    }
    events.add(new IntentAccepted(intentId, cmd.text(), cmd.metadata(), cmd.idempotencyKey(), Ids.traceId(),
        TraceClock.nowEpochNanos()));
    boolean startNow = !busy || settings.busyPolicy() == SessionSettings.BusyPolicy.INTERRUPT;
    if (startNow) {
      events.add(started(intentId));
    }
    return persistAll(events).thenRun(this::countInFlight).thenRun(s -> {
      superseded.forEach(id -> afterFinished(s, id));
      SessionState.IntentRecord accepted = s.intent(intentId);
      cmd.replyTo().tell(StatusReply.success(accepted.view(sessionId, s.usage)));
      publish(intentId, accepted.events);
      if (startNow) {
        startRun(s, intentId);
      }
    });
  }

  private Effect<Event, SessionState> onGet(SessionState state, Get cmd) {
    requestedSinceIdleCheck = true;
    if (hasOrphanedRun(state)) return recoverThenRetry(state, cmd);
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    cmd.replyTo().tell(intent == null ? notFound(cmd.intentId()) : StatusReply.success(intent.view(sessionId, state.usage)));
    return Effect().none();
  }

  private Effect<Event, SessionState> onAwaitTerminal(SessionState state, AwaitTerminal cmd) {
    requestedSinceIdleCheck = true;
    if (hasOrphanedRun(state)) return recoverThenRetry(state, cmd);
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null) {
      cmd.replyTo().tell(notFound(cmd.intentId()));
    } else if (intent.status.isTerminal()) {
      cmd.replyTo().tell(StatusReply.success(intent.view(sessionId, state.usage)));
    } else {
      waiters.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.replyTo());
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onSubscribe(SessionState state, Subscribe cmd) {
    requestedSinceIdleCheck = true;
    if (hasOrphanedRun(state)) return recoverThenRetry(state, cmd);
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null) {
      cmd.subscriber().tell(new EventStream.NotFound(cmd.intentId()));
      return Effect().none();
    }
    for (IntentEvent event : intent.events) {
      if (event.seq() > cmd.afterSeq()) cmd.subscriber().tell(new EventStream.Item(event));
    }
    if (intent.status.isTerminal()) {
      cmd.subscriber().tell(new EventStream.Completed());
    } else {
      subscribers.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.subscriber());
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onCancel(SessionState state, Cancel cmd) {
    requestedSinceIdleCheck = true;
    if (hasOrphanedRun(state)) return recoverThenRetry(state, cmd);
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null) {
      cmd.replyTo().tell(notFound(cmd.intentId()));
      return Effect().none();
    }
    if (intent.status.isTerminal()) {
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.CONFLICT,
          "intent " + cmd.intentId() + " is already " + intent.status.json())));
      return Effect().none();
    }
    boolean wasRunning = cmd.intentId().equals(state.running);
    if (wasRunning && currentRun != null) {
      // The run ends itself: it lets side effects under way finish, and closes the conversation.
      currentRun.tell(new AgentRun.Cancel());
      cancelReplies.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.replyTo());
      timers.startSingleTimer(new CancelReplyDue(cmd.intentId()), CANCEL_REPLY_WITHIN);
      return Effect().none();
    }
    List<Event> events = new ArrayList<>();
    events.add(finished(intent, IntentStatus.CANCELLED,
        Outcome.failed("cancelled", "The intent was cancelled by request.", "none"), List.of()));
    String next = wasRunning ? state.queued.peekFirst() : null;
    if (next != null) events.add(started(next));
    return persistAll(events).thenRun(this::countInFlight).thenRun(s -> {
      cmd.replyTo().tell(StatusReply.success(s.intent(cmd.intentId()).view(sessionId, s.usage)));
      afterFinished(s, cmd.intentId());
      if (next != null) startRun(s, next);
    });
  }

  private Effect<Event, SessionState> onRunProgress(SessionState state, RunProgress cmd) {
    return buffer(state, cmd) ? persistAll(List.of()) : Effect().none();
  }

  private Effect<Event, SessionState> onRunProgressBatch(SessionState state, RunProgressBatch cmd) {
    boolean full = false;
    for (RunProgress report : cmd.reports()) {
      full |= buffer(state, report);
    }
    return full ? persistAll(List.of()) : Effect().none();
  }

  /** Adds a step to the unjournaled batch; true when the batch must be written now. */
  private boolean buffer(SessionState state, RunProgress cmd) {
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null || !cmd.intentId().equals(state.running) || currentRun == null) {
      return false; // a late report of a cancelled run
    }
    long last = lastEventSeq(intent);
    IntentEvent event = cmd.eventType() == null ? null
        : new IntentEvent(last + 1, cmd.eventType(), TraceClock.nowEpochNanos(), cmd.data());
    IntentUsage base = usageOf(intent);
    IntentUsage usage = null;
    if (cmd.modelUsage() != null) usage = base.plusModelCall(cmd.modelUsage());
    if (cmd.toolCall()) usage = (usage == null ? base : usage).plusToolCall();
    // Steps are journaled in batches: on a short timer, when the batch is full, and with whatever
    // the session journals next (a side effect's start, the intent's end).
    unflushed.add(new IntentProgressed(cmd.intentId(), event, cmd.step(), usage, cmd.message()));
    unflushedLastSeq = event != null ? event.seq() : last;
    unflushedUsage = usage != null ? usage : base;
    if (settings.journalBatchWindow().isZero() || unflushed.size() >= MAX_UNFLUSHED) {
      return true;
    }
    if (unflushed.size() == 1) {
      timers.startSingleTimer(FlushSteps.INSTANCE, settings.journalBatchWindow());
    }
    return false;
  }

  private Effect<Event, SessionState> onFlushSteps(SessionState state, FlushSteps cmd) {
    return unflushed.isEmpty() ? Effect().none() : persistAll(List.of());
  }

  /** Journals the steps not yet journaled, then {@code events}, in one write; publishes the steps once written. */
  private EffectBuilder<Event, SessionState> persistAll(List<? extends Event> events) {
    List<IntentProgressed> steps = List.copyOf(unflushed);
    List<Event> all = new ArrayList<>(events.size() + 1);
    if (steps.size() == 1) all.add(steps.get(0));
    else if (!steps.isEmpty()) all.add(new IntentProgressBatch(steps));
    all.addAll(events);
    unflushed.clear();
    timers.cancel(FlushSteps.INSTANCE);
    return Effect().persist(all).thenRun(s -> steps.forEach(e -> {
      if (e.event() != null) publish(e.intentId(), List.of(e.event()));
    }));
  }

  /** The intent's last event number, counting steps not yet journaled. */
  private long lastEventSeq(SessionState.IntentRecord intent) {
    return !unflushed.isEmpty() && unflushed.get(0).intentId().equals(intent.id) ? unflushedLastSeq : intent.lastEventSeq();
  }

  private IntentUsage usageOf(SessionState.IntentRecord intent) {
    return !unflushed.isEmpty() && unflushed.get(0).intentId().equals(intent.id) ? unflushedUsage : intent.usage;
  }

  private Effect<Event, SessionState> onRunEffectStarting(SessionState state, RunEffectStarting cmd) {
    if (!cmd.intentId().equals(state.running) || currentRun == null) {
      return Effect().none(); // a cancelled run: it gets no go-ahead
    }
    // The run's steps so far (its tool calls among them) go to the journal with it, before the effect.
    return persistAll(List.of(new ToolEffectStarted(cmd.intentId(), cmd.callId(), cmd.idempotencyKey())))
        .thenRun(s -> cmd.replyTo().tell(new EffectRecorded(cmd.callId())));
  }

  private Effect<Event, SessionState> onRunDelta(SessionState state, RunDelta cmd) {
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent != null && cmd.intentId().equals(state.running)) {
      ObjectNode data = Json.object().put("text", cmd.text());
      publish(cmd.intentId(), List.of(new IntentEvent(0, "model.delta", TraceClock.nowEpochNanos(), data)));
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onRunFinished(SessionState state, RunFinished cmd) {
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null || !cmd.intentId().equals(state.running) || currentRun == null) {
      return Effect().none();
    }
    currentRun = null;
    return finishAndStartNext(state, intent, cmd.status(), cmd.outcome(), cmd.transcript());
  }

  private Effect<Event, SessionState> onRunStopped(SessionState state, RunStopped cmd) {
    // The run stopped without reporting its end: it failed.
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null || !cmd.intentId().equals(state.running) || currentRun == null) {
      return Effect().none();
    }
    currentRun = null;
    return finishAndStartNext(state, intent, IntentStatus.FAILED,
        Outcome.failed("internal", "The agent run stopped unexpectedly; see the node log.", "retry_later"), List.of());
  }

  private Effect<Event, SessionState> onRecoverOrphanedRun(SessionState state, RecoverOrphanedRun cmd) {
    if (hasOrphanedRun(state)) {
      return recoverThenRetry(state, null);
    }
    if (state.running == null && currentRun == null && !state.queued.isEmpty()) {
      String next = state.queued.peekFirst();
      return persistAll(List.of(started(next))).thenRun(this::countInFlight).thenRun(s -> startRun(s, next));
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onCancelReplyDue(SessionState state, CancelReplyDue cmd) {
    List<ActorRef<StatusReply<IntentView>>> waiting = cancelReplies.remove(cmd.intentId());
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (waiting != null && intent != null) {
      IntentView view = intent.view(sessionId, state.usage);
      waiting.forEach(w -> w.tell(StatusReply.success(view)));
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onIdleCheck(SessionState state, IdleCheck cmd) {
    // Idle for a whole check period: passivated between one and two idle timeouts after the last request.
    boolean idle = !requestedSinceIdleCheck && currentRun == null && state.running == null && state.queued.isEmpty()
        && subscribers.isEmpty() && waiters.isEmpty();
    requestedSinceIdleCheck = false;
    if (idle && shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().none();
  }

  // The run of an intent

  private void startRun(SessionState state, String intentId) {
    SessionState.IntentRecord intent = state.intent(intentId);
    AgentRun.Resume resume = intent.resumes == 0 ? null : new AgentRun.Resume(
        intent.turns.stream().map(SessionState.ToolTurn::resumed).toList(), intent.usage, intent.startedNanos);
    AgentRun.Input input = new AgentRun.Input(intentId, sessionId, intent.text, intent.traceId,
        state.recentHistory(settings.historyMessages()), resume);
    currentRun = ctx.spawnAnonymous(AgentRun.create(input, subsystems, settings, ctx.getSelf()));
    ctx.watchWith(currentRun, new RunStopped(intentId));
  }

  private boolean hasOrphanedRun(SessionState state) {
    return state.running != null && currentRun == null;
  }

  /**
   * Resumes the run of an intent the node was running when it stopped, or ends it interrupted once
   * it has been resumed {@code max-resumes} times; then handles {@code retry}.
   */
  private Effect<Event, SessionState> recoverThenRetry(SessionState state, Command retry) {
    SessionState.IntentRecord orphan = state.intent(state.running);
    if (orphan.resumes < settings.maxResumes()) {
      int attempt = orphan.resumes + 1;
      ctx.getLog().info("intent {} was running when its node stopped; resuming it (attempt {})", orphan.id, attempt);
      IntentEvent resumed = new IntentEvent(lastEventSeq(orphan) + 1, "intent.resumed", TraceClock.nowEpochNanos(),
          Json.object().put("attempt", attempt).put("completedToolTurns", orphan.turns.size()));
      return persistAll(List.of(new IntentResumed(orphan.id, resumed))).thenRun(s -> {
        publish(orphan.id, List.of(resumed));
        startRun(s, orphan.id);
        if (retry != null) ctx.getSelf().tell(retry);
      });
    }
    ctx.getLog().info("intent {} was running when its node stopped; marking it interrupted", orphan.id);
    List<Event> events = new ArrayList<>();
    String why = settings.maxResumes() == 0
        ? "The node stopped while this intent was running; runs are not resumed here (troupe.agent.max-resumes = 0)."
        : "The node stopped while this intent was running, after it had been resumed " + orphan.resumes + " time(s).";
    events.add(finished(orphan, IntentStatus.INTERRUPTED, Outcome.failed("interrupted", why, "resubmit"), List.of()));
    String next = state.queued.peekFirst();
    if (next != null) events.add(started(next));
    return persistAll(events).thenRun(this::countInFlight).thenRun(s -> {
      afterFinished(s, orphan.id);
      if (next != null) startRun(s, next);
      if (retry != null) ctx.getSelf().tell(retry);
    });
  }

  private Effect<Event, SessionState> finishAndStartNext(SessionState state, SessionState.IntentRecord intent,
      IntentStatus status, Outcome outcome, List<ChatMessage> transcript) {
    List<Event> events = new ArrayList<>();
    events.add(finished(intent, status, outcome, transcript));
    String next = state.queued.peekFirst();
    if (next != null) events.add(started(next));
    return persistAll(events).thenRun(this::countInFlight).thenRun(s -> {
      afterFinished(s, intent.id);
      if (next != null) startRun(s, next);
    });
  }

  private static IntentStarted started(String intentId) {
    return new IntentStarted(intentId, TraceClock.nowEpochNanos());
  }

  private IntentFinished finished(SessionState.IntentRecord intent, IntentStatus status, Outcome outcome,
      List<ChatMessage> transcript) {
    ObjectNode data = Json.object().put("status", status.json());
    if (outcome.answer() != null) data.put("answer", outcome.answer());
    if (outcome.error() != null) data.put("error", outcome.error()).put("code", outcome.errorCode());
    IntentEvent event = new IntentEvent(lastEventSeq(intent) + 1, status.eventType(), TraceClock.nowEpochNanos(), data);
    return new IntentFinished(intent.id, status, outcome, event, transcript);
  }

  private void afterFinished(SessionState state, String intentId) {
    SessionState.IntentRecord intent = state.intent(intentId);
    List<IntentEvent> last = intent.events.isEmpty() ? List.of() : List.of(intent.events.get(intent.events.size() - 1));
    publish(intentId, last);
    List<ActorRef<EventStream.Message>> listening = subscribers.remove(intentId);
    if (listening != null) listening.forEach(s -> s.tell(new EventStream.Completed()));
    List<ActorRef<StatusReply<IntentView>>> waiting = waiters.remove(intentId);
    List<ActorRef<StatusReply<IntentView>>> cancelled = cancelReplies.remove(intentId);
    if (waiting != null || cancelled != null) {
      IntentView view = intent.view(sessionId, state.usage);
      if (waiting != null) waiting.forEach(w -> w.tell(StatusReply.success(view)));
      if (cancelled != null) cancelled.forEach(w -> w.tell(StatusReply.success(view)));
    }
  }

  private void publish(String intentId, List<IntentEvent> events) {
    List<ActorRef<EventStream.Message>> listening = subscribers.get(intentId);
    if (listening == null) return;
    for (IntentEvent event : events) {
      listening.forEach(s -> s.tell(new EventStream.Item(event)));
    }
  }

  private static StatusReply<IntentView> notFound(String intentId) {
    return StatusReply.error(Errors.of(Errors.NOT_FOUND, "no intent " + intentId));
  }

  // Events

  @Override
  public EventHandler<SessionState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(IntentAccepted.class, (state, e) -> {
          state.intentsAccepted++;
          SessionState.IntentRecord intent =
              new SessionState.IntentRecord(e.intentId(), e.text(), e.metadata(), e.traceId(), e.createdNanos());
          intent.events.add(new IntentEvent(1, "intent.accepted", e.createdNanos(),
              Json.object().put("intentId", e.intentId()).put("sessionId", sessionId)));
          state.intents.put(e.intentId(), intent);
          if (e.idempotencyKey() != null) state.intentByIdempotencyKey.put(e.idempotencyKey(), e.intentId());
          state.queued.addLast(e.intentId());
          return state;
        })
        .onEvent(IntentStarted.class, (state, e) -> {
          state.queued.remove(e.intentId());
          state.running = e.intentId();
          SessionState.IntentRecord intent = state.intent(e.intentId());
          intent.status = IntentStatus.RUNNING;
          intent.startedNanos = e.startedNanos();
          return state;
        })
        .onEvent(IntentProgressed.class, SessionEntity::applyProgress)
        .onEvent(IntentProgressBatch.class, (state, batch) -> {
          batch.steps().forEach(e -> applyProgress(state, e));
          return state;
        })
        .onEvent(ToolEffectStarted.class, (state, e) -> {
          SessionState.IntentRecord intent = state.intent(e.intentId());
          if (!intent.turns.isEmpty()) intent.turns.get(intent.turns.size() - 1).effectsStarted.add(e.callId());
          return state;
        })
        .onEvent(IntentResumed.class, (state, e) -> {
          SessionState.IntentRecord intent = state.intent(e.intentId());
          intent.resumes++;
          intent.events.add(e.event());
          return state;
        })
        .onEvent(IntentFinished.class, (state, e) -> {
          SessionState.IntentRecord intent = state.intent(e.intentId());
          intent.status = e.status();
          intent.outcome = e.outcome();
          intent.finishedNanos = e.event().timeNanos();
          intent.events.add(e.event());
          state.queued.remove(e.intentId());
          if (e.intentId().equals(state.running)) state.running = null;
          intent.turns.clear(); // the transcript below is what later intents see
          state.remember(e.transcript(), settings.historyMessages());
          return state;
        })
        .build();
  }

  private static SessionState applyProgress(SessionState state, IntentProgressed e) {
    SessionState.IntentRecord intent = state.intent(e.intentId());
    if (e.event() != null) intent.events.add(e.event());
    if (e.step() != null) intent.steps.add(e.step());
    if (e.usage() != null) {
      state.usage = state.usage.plus(e.usage().minus(intent.usage));
      intent.usage = e.usage();
    }
    ChatMessage m = e.message();
    if (m != null && m.role() == ChatMessage.Role.ASSISTANT) {
      intent.turns.add(new SessionState.ToolTurn(m));
    } else if (m != null && m.role() == ChatMessage.Role.TOOL && !intent.turns.isEmpty()) {
      intent.turns.get(intent.turns.size() - 1).results.put(m.toolCallId(), m);
    }
    return state;
  }
}
