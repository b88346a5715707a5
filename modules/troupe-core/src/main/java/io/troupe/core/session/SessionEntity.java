package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.inbox.InboxEntry;
import io.troupe.core.inbox.IntentInbox;
import io.troupe.core.guardrail.TraceRedaction;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.json.Json;
import io.troupe.core.json.WellFormed;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.Ids;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.trace.TraceParent;
import io.troupe.core.trace.TraceStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
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
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One conversation: an event-sourced entity under Cluster Sharding that hosts the {@link AgentLoop}
 * of its running intent. There is no actor per intent: the entity carries out the loop's decisions
 * by telling the guardrail (the only subsystem reference it has), which forwards what it allows; the
 * subsystems answer here directly. Every request carries a correlation id, and a reply that is not
 * awaited is dropped. One timer per intent bounds it (its deadline).
 *
 * <p>The journal keeps what a resume needs: the accepted intent, the conversation after each tool
 * turn, the start and end of each side-effecting call, and the end. Steps and stream events go to
 * the node's {@link TraceStore}. A finished intent leaves a small summary here, for the last
 * {@code recent-intents}; older reads come from the trace store.
 */
public final class SessionEntity extends EventSourcedBehavior<SessionEntity.Command, SessionEntity.Event, SessionState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Session");

  /** Journal tags that let a sweeper find sessions with an unfinished intent (one of each per intent). */
  public static final String TAG_OPEN = "troupe-intent-open";
  public static final String TAG_CLOSED = "troupe-intent-closed";
  /** Approvals requested and decided: what {@code GET /v1/approvals} reads. */
  public static final String TAG_APPROVAL = "troupe-approval";

  public interface Command extends CborSerializable {}

  /**
   * Accepts a new intent; replies with it, or with the earlier one of the same idempotency key. With
   * a {@code traceParent} (null: none) the intent joins the caller's trace. {@code agent} names the
   * agent that runs it (null: {@code default}); an unknown one is refused with {@code invalid_request}.
   */
  public record Submit(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo,
      TraceParent traceParent, String agent) implements Command {
    public Submit(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo,
        TraceParent traceParent) {
      this(text, metadata, idempotencyKey, replyTo, traceParent, null);
    }

    public Submit(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo) {
      this(text, metadata, idempotencyKey, replyTo, null, null);
    }
  }

  /** Accepts a new intent and replies once it is terminal: one request for {@code ?wait=true}. */
  public record SubmitAndWait(String text, JsonNode metadata, String idempotencyKey,
      ActorRef<StatusReply<IntentView>> replyTo, TraceParent traceParent, String agent) implements Command {
    public SubmitAndWait(String text, JsonNode metadata, String idempotencyKey,
        ActorRef<StatusReply<IntentView>> replyTo, TraceParent traceParent) {
      this(text, metadata, idempotencyKey, replyTo, traceParent, null);
    }

    public SubmitAndWait(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo) {
      this(text, metadata, idempotencyKey, replyTo, null, null);
    }
  }

  /** Replies with the intent, or an error {@code not_found: ...}. */
  public record Get(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** Replies with the session, or {@code not_found} when it never accepted an intent. */
  public record GetSession(ActorRef<StatusReply<SessionView>> replyTo) implements Command {}

  /**
   * Erases the session ({@code DELETE /v1/sessions/{id}}): its journal events, snapshots and traces.
   * {@code Done} once they are deleted; {@code not_found}; {@code conflict} while an intent of it
   * runs or waits. The intent numbers go on (an erased intent's id is never used again).
   */
  public record Erase(ActorRef<StatusReply<org.apache.pekko.Done>> replyTo) implements Command {}

  /** One part of an erase is done ({@code failure} null) or failed. */
  private record EraseStepDone(String part, String failure) implements Command {}

  /** Replies once the intent is terminal (at once if it already is), or {@code not_found}. */
  public record AwaitTerminal(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** Streams the intent's events above {@code afterSeq}, then {@link EventStream.Completed} once terminal. */
  public record Subscribe(String intentId, long afterSeq, ActorRef<EventStream.Message> subscriber)
      implements Command {}

  /** Cancels a queued or running intent; {@code conflict} when already terminal. */
  public record Cancel(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** A person's decision on a pending approval of an intent: the intent back, 404 or 409. */
  public record DecideApproval(String intentId, String approvalId, boolean approve, String comment,
      ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  private record ApprovalTimedOut(String intentId, String approvalId) implements Command {}

  /** A journaled decision reaches the running loop. */
  private record ApprovalReady(String intentId, String approvalId) implements Command {}

  /** Starts the session (if it was not running), so that an unfinished intent resumes. */
  public record Wake() implements Command {}

  /**
   * Takes the session's entries from the intent inbox: sent by the ingress node that wrote one, and
   * by the open-intent sweeper while any remain.
   */
  public record TakeInbox() implements Command {}

  private record InboxRead(List<InboxEntry> entries, Throwable failure) implements Command {}

  /** Whether a recently ended intent's trace reached the trace store (see checkRecentTraces). */
  private record TraceChecked(String intentId, Optional<StoredIntent> stored, Throwable failure) implements Command {}

  /** Inbox entries a session reads at once; a full read is followed by another. */
  private static final int INBOX_READ = 64;

  /**
   * Passivates the session now if it is idle (no intent running or queued, nobody waiting or
   * listening), as the idle check would later: its state stays in the journal. For operators and
   * benchmarks that want a session's memory back at once.
   */
  public record PassivateIfIdle() implements Command {}

  private record GuardrailAnswered(Guardrail.Answer answer) implements Command {}

  private record ModelAnswered(LlmGateway.ChatResult result) implements Command {}

  private record ModelDelta(ChatDelta delta) implements Command {}

  private record ToolAnswered(ToolResult result) implements Command {}

  private record DeadlinePassed(String intentId) implements Command {}

  private record RecoverOrphanedRun() implements Command {}

  private record IdleCheck() implements Command {}

  private record Loaded(String intentId, Optional<StoredIntent> stored, Throwable failure,
      Consumer<Optional<StoredIntent>> then) implements Command {}

  /** A cancel still waiting for side effects under way: answer with the intent as it is. */
  private record CancelReplyDue(String intentId) implements Command {}

  private static final Duration CANCEL_REPLY_WITHIN = Duration.ofSeconds(1);

  /** The shard's stop message: the session asked to be passivated. */
  private record Passivate() implements Command {}

  // Events: what the journal keeps. A public format: see docs/architecture.md ("Journal events").

  public sealed interface Event extends CborSerializable {}

  /**
   * {@code rootSpanId} and {@code parentSpanId} are set when the intent joined a caller's trace
   * ({@code traceparent}); otherwise null, and the root span is derived from the trace id.
   * {@code agent} (since named agents) is the agent that runs it; events written before it have none
   * and replay as {@code default}.
   */
  public record IntentAccepted(String intentId, String text, JsonNode metadata, String idempotencyKey, String traceId,
      long createdNanos, String rootSpanId, String parentSpanId, String agent) implements Event {
    public IntentAccepted(String intentId, String text, JsonNode metadata, String idempotencyKey, String traceId,
        long createdNanos, String rootSpanId, String parentSpanId) {
      this(intentId, text, metadata, idempotencyKey, traceId, createdNanos, rootSpanId, parentSpanId, null);
    }

    public IntentAccepted(String intentId, String text, JsonNode metadata, String idempotencyKey, String traceId,
        long createdNanos) {
      this(intentId, text, metadata, idempotencyKey, traceId, createdNanos, null, null, null);
    }

    /** The agent that runs the intent: {@code default} for events written before agents had names. */
    public String agentOrDefault() {
      return agent == null || agent.isEmpty() ? AgentSpec.DEFAULT : agent;
    }
  }

  public record IntentStarted(String intentId, long startedNanos) implements Event {}

  /** Messages of a run's conversation (a tool turn: the model's calls and their results); a resume starts from them. */
  public record TurnCommitted(String intentId, List<ChatMessage> messages, IntentUsage usage) implements Event {}

  /** A side-effecting tool call is about to run; journaled first, so that a crash cannot hide it. */
  public record ToolEffectStarted(String intentId, String callId, String idempotencyKey) implements Event {}

  /**
   * A tool call waits for a person: the call (tool, arguments and their hash) and the version of the
   * policies that asked. The approval binds to all three.
   */
  public record ApprovalRequested(String intentId, String approvalId, String callId, String tool, JsonNode arguments,
      String argumentsHash, String policyVersion, String reason, long requestedNanos) implements Event {}

  public record ApprovalDecided(String intentId, String approvalId, boolean approved, String comment, long decidedNanos)
      implements Event {}

  /**
   * The run handed its conversation from agent {@code from} to agent {@code to} (the model's call
   * {@code callId}); the rest of the run, and a resume, use {@code to}. Since agents as tools and handoffs.
   */
  public record AgentHandedOff(String intentId, String from, String to, String callId, long handedOffNanos)
      implements Event {}

  /** A side-effecting call's result. */
  public record EffectFinished(String intentId, String callId, ChatMessage result) implements Event {}

  /** The run of an intent whose node stopped goes on from its journaled conversation. */
  public record IntentResumed(String intentId, IntentEvent event) implements Event {}

  /**
   * The intent ended. Version 2 (since Core v1): {@code finishedNanos}, {@code eventSeq} and
   * {@code usage} replace version 1's {@code event}; {@link SessionEventMigration} reads version 1.
   */
  public record IntentFinished(String intentId, IntentStatus status, Outcome outcome, long finishedNanos, long eventSeq,
      IntentUsage usage, List<ChatMessage> transcript) implements Event {}

  /**
   * The session's history before the absolute message index {@code through} (messages ever added to
   * it, counted from the first) is summarised in {@code summary}, by the agent's model, as intent
   * {@code intentId} started; {@code usage} is that model call's, counted in the intent's. Since memory
   * summaries ({@link HistoryWindow}): a resume or a replay reads the summary here and never asks the
   * model again.
   */
  public record HistorySummarized(String intentId, String summary, long through, IntentUsage usage,
      long summarizedNanos) implements Event {}

  /**
   * The session was erased: everything before this event is deleted from the journal, and the
   * state starts empty again, except the count of intents, so that no id is used twice.
   */
  public record SessionErased(long intentsAccepted, long erasedNanos) implements Event {}

  /**
   * An inbox entry whose idempotency key this session had already accepted directly (the ingress
   * gave up waiting for an answer that did come): its id names that intent from now on.
   */
  public record InboxMerged(String inboxIntentId, String intentId) implements Event {}

  /** Version 1 only (before Core v1): a step of a run. Replayed for its conversation message and usage. */
  public record IntentProgressed(String intentId, IntentEvent event, Step step, IntentUsage usage, ChatMessage message)
      implements Event {}

  /** Version 1 only: several {@link IntentProgressed} in one journal entry. */
  public record IntentProgressBatch(List<IntentProgressed> steps) implements Event {}

  /** Starts sharding for sessions on this node; each session talks to one guardrail of {@code guardrails}. */
  public static void init(ActorSystem<?> system, List<ActorRef<Guardrail.Command>> guardrails, SessionSettings settings) {
    boolean remember = system.settings().config().getBoolean("troupe.cluster.remember-sessions");
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system)
        .withNoPassivationStrategy()
        .withRememberEntities(remember);
    if (remember) {
      sharding = sharding.withStateStoreMode(ClusterShardingSettings.stateStoreModePersistence())
          .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced());
    }
    Function<String, ActorRef<Guardrail.Command>> pick =
        id -> guardrails.get(Math.floorMod(id.hashCode(), guardrails.size()));
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY,
            entityContext -> create(entityContext.getEntityId(), pick.apply(entityContext.getEntityId()), settings,
                entityContext.getShard()))
        .withStopMessage(new Passivate())
        .withSettings(sharding));
  }

  /** A session outside sharding: it never passivates. */
  public static Behavior<Command> create(String sessionId, ActorRef<Guardrail.Command> guardrail, SessionSettings settings) {
    return create(sessionId, guardrail, settings, null);
  }

  /** A session that asks {@code shard} to passivate it once idle (no run, no listener, no request). */
  public static Behavior<Command> create(String sessionId, ActorRef<Guardrail.Command> guardrail,
      SessionSettings settings, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (shard != null) {
        timers.startTimerWithFixedDelay(new IdleCheck(), settings.idleTimeout());
      }
      SessionEntity entity = new SessionEntity(ctx, timers, sessionId, guardrail, settings, shard);
      return entity.mdc.around(entity);
    }));
  }

  /** The root span of an intent's trace is derived from its trace id. */
  static String rootSpanId(String traceId) {
    return traceId.substring(0, 16);
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final String sessionId;
  private final ActorRef<Guardrail.Command> guardrail;
  private final SessionSettings settings;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final IntentAdmission admission;
  private final TraceStore traces;
  private final IntentMdc mdc;
  private final ToolCatalogs catalogs;
  private final TraceRedaction redaction;
  private final AgentLoop.Limits limits;
  private final Agents agents;
  // Reply adapters, made once.
  private final ActorRef<Guardrail.Answer> answers;
  private final ActorRef<LlmGateway.ChatResult> modelReplies;
  private final ActorRef<ChatDelta> deltas;
  private final ActorRef<ToolResult> toolReplies;
  private boolean requestedSinceIdleCheck = true;
  private final IntentInbox inbox;
  private boolean inboxReading;
  /** A command named an inbox id during a read that may have missed its entry: read once more. */
  private boolean inboxRereadWanted;
  /** Inbox ids the session has looked for in the inbox (a command naming one waits for one read). */
  private final Set<String> inboxLookups = new HashSet<>();
  private long counted; // this session's share of IntentAdmission

  // Not journaled: the live run, its awaited replies, and who waits for or listens to which intent.
  private AgentLoop loop;
  private String loopIntent;
  /**
   * Intents open when a write or recovery failed: a write that failed at the client may still have
   * been committed, so recovery tells whether each ended (then its trace is sealed) or runs on.
   */
  private final Set<String> openAtRestart = new LinkedHashSet<>();
  /** Intents whose end is being written (made by {@link #finished}, sealed by {@link #afterFinished}). */
  private final Set<String> endsBeingWritten = new LinkedHashSet<>();
  /**
   * Submissions whose acceptance is being written, by intent id. A write that fails restarts the
   * entity and loses the effect's reply, so recovery answers them from what the journal holds.
   */
  private final Map<String, PendingSubmit> submitsBeingWritten = new HashMap<>();

  private record PendingSubmit(ActorRef<StatusReply<IntentView>> replyTo, boolean waitForEnd) {}
  private String loopAgent;
  private long eventSeq;
  private long nextCorr = 1;
  private long intentCorr;
  /** The intent check whose model judge has not answered yet (0: none). */
  private long judgeCorr;
  private long modelCorr;
  private String modelCallKey;
  private long answerCorr;
  private int loopModelCall; // the model call and the answer attempt those corrs stand for
  private int loopAnswerAttempt;
  private long toolCorr;
  private int toolTurn;
  private int toolCalls;
  private Set<String> effectCalls = Set.of();
  private final Map<String, List<ActorRef<StatusReply<IntentView>>>> waiters = new HashMap<>();
  private final Map<String, List<ActorRef<EventStream.Message>>> subscribers = new HashMap<>();
  private final Map<String, List<ActorRef<StatusReply<IntentView>>>> cancelReplies = new HashMap<>();

  private SessionEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, String sessionId,
      ActorRef<Guardrail.Command> guardrail, SessionSettings settings, ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(TYPE_KEY.name(), sessionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.sessionId = sessionId;
    this.guardrail = guardrail;
    this.settings = settings;
    this.shard = shard;
    this.admission = IntentAdmission.get(ctx.getSystem());
    this.traces = TraceStore.get(ctx.getSystem());
    this.mdc = new IntentMdc(sessionId);
    this.catalogs = ToolCatalogs.get(ctx.getSystem());
    this.redaction = TraceRedaction.get(ctx.getSystem());
    this.limits = AgentLoop.Limits.of(settings);
    this.agents = Agents.get(ctx.getSystem());
    this.answers = ctx.messageAdapter(Guardrail.Answer.class, GuardrailAnswered::new);
    this.modelReplies = ctx.messageAdapter(LlmGateway.ChatResult.class, ModelAnswered::new);
    this.deltas = ctx.messageAdapter(ChatDelta.class, ModelDelta::new);
    this.toolReplies = ctx.messageAdapter(ToolResult.class, ToolAnswered::new);
    this.inbox = IntentInbox.get(ctx.getSystem());
  }

  /**
   * Pekko reads emptyState() once and starts every recovery of this entity from that object, restarts
   * included. The state is mutable, so the event handler never changes this one (see onEvent): a
   * restart after a failed write would otherwise replay the journal on top of the events that were
   * not written, and a retry with the same Idempotency-Key found an intent that was never journaled.
   */
  private final SessionState empty = new SessionState();

  @Override
  public SessionState emptyState() {
    return empty;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    if (event instanceof IntentAccepted) return Set.of(TAG_OPEN);
    if (event instanceof IntentFinished) return Set.of(TAG_CLOSED);
    if (event instanceof ApprovalRequested || event instanceof ApprovalDecided) return Set.of(TAG_APPROVAL);
    return Set.of();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.snapshotEvery() > 0 ? RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        : RetentionCriteria.disabled();
  }

  @Override
  public SignalHandler<SessionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(PostStop.instance(), state -> {
          admission.add(-counted);
          counted = 0;
          if (modelCallKey != null) guardrail.tell(new Guardrail.CancelModelCall(modelCallKey));
          if (summarizing != null) guardrail.tell(new Guardrail.CancelModelCall(summarizing.callKey()));
          if (loopIntent != null) traces.drop(loopIntent); // the run resumes wherever the session starts next
          openAtRestart.forEach(traces::drop);
          openAtRestart.clear();
          endsBeingWritten.clear();
        })
        .onSignal(PreRestart.instance(), state -> {
          // A failed write or recovery restarts the entity inside this object, whose fields outlive it: the
          // run in memory goes, and RecoveryCompleted resumes it from the journal (with a loop left over,
          // the intent stayed "running" for good after a database outage).
          if (loopIntent != null) openAtRestart.add(loopIntent);
          if (state.running != null) openAtRestart.add(state.running);
          openAtRestart.addAll(state.queued);
          openAtRestart.addAll(endsBeingWritten);
          endsBeingWritten.clear();
          stopLoop();
        })
        .onSignal(RecoveryCompleted.instance(), state -> {
          settleSubmitsBeingWritten(state);
          settleOpenAtRestart(state);
          checkRecentTraces(state);
          countInFlight(state);
          if (state.running != null || !state.queued.isEmpty()) ctx.getSelf().tell(new RecoverOrphanedRun());
        })
        .build();
  }

  /**
   * After a restart: a submission whose write seemed to fail is answered from the journal. Written
   * after all, it is accepted (its run resumes; a waiter hears at its end). Not written, it is refused
   * as unavailable, and the client may submit it again: its id is free, its key unknown.
   */
  private void settleSubmitsBeingWritten(SessionState state) {
    submitsBeingWritten.forEach((id, pending) -> {
      SessionState.IntentRecord intent = state.intent(id);
      if (intent != null) {
        if (!pending.waitForEnd()) pending.replyTo().tell(StatusReply.success(intent.view(sessionId, List.of(), state.usage)));
        return;
      }
      List<ActorRef<StatusReply<IntentView>>> waiting = waiters.get(id);
      if (waiting != null) {
        waiting.remove(pending.replyTo());
        if (waiting.isEmpty()) waiters.remove(id);
      }
      pending.replyTo().tell(StatusReply.error(Errors.of(Errors.UNAVAILABLE, "the journal did not take the submission "
          + "(the database failed or was too slow), so it was not accepted; submit it again")));
    });
    submitsBeingWritten.clear();
  }

  /**
   * After a restart: an intent whose end was journaled although its write seemed to fail has its
   * trace sealed and its waiters answered now (else it read as 404 once out of recent-intents);
   * one still open drops the old run's spans, and its resumed run records anew.
   */
  private void settleOpenAtRestart(SessionState state) {
    for (String id : openAtRestart) {
      SessionState.IntentRecord intent = state.intent(id);
      if (intent != null && intent.status.isTerminal() && traces.finishedInMemory(id).isEmpty()) {
        afterFinished(state, id);
      } else {
        traces.drop(id);
      }
    }
    openAtRestart.clear();
  }

  /**
   * A node that journaled an intent's end and died before its trace was written behind (within
   * flush-interval) leaves the intent without a trace: it would read as 404 once out of
   * recent-intents. So a session that starts checks the intents that ended within the write-behind's
   * retry window, and rebuilds a missing trace from the journal (without spans). Sessions start
   * after a crash or a rebalance, or once idle ones passivated, long after.
   */
  private void checkRecentTraces(SessionState state) {
    var trace = traces.settings();
    long since = TraceClock.nowEpochNanos() - trace.writeRetryFor().plus(trace.flushInterval()).toNanos();
    for (SessionState.IntentRecord intent : state.intents.values()) {
      if (intent.status.isTerminal() && intent.finishedNanos >= since && traces.finishedInMemory(intent.id).isEmpty()) {
        String id = intent.id;
        ctx.pipeToSelf(traces.load(id), (stored, failure) -> new TraceChecked(id, stored, failure));
      }
    }
  }

  private Effect<Event, SessionState> onTraceChecked(SessionState state, TraceChecked checked) {
    SessionState.IntentRecord intent = state.intent(checked.intentId());
    if (checked.failure() != null || checked.stored().isPresent() || intent == null || !intent.status.isTerminal()
        || traces.finishedInMemory(intent.id).isPresent()) {
      return Effect().none();
    }
    ctx.getLog().info("intent {} ended on a node that stopped before writing its trace; rebuilt from the journal, "
        + "without its spans", intent.id);
    traces.finish(intent.view(sessionId, List.of(), state.usage));
    return Effect().none();
  }

  private void countInFlight(SessionState state) {
    long now = (state.running != null ? 1 : 0) + state.queued.size();
    admission.add(now - counted);
    counted = now;
  }

  /**
   * One case for every command: a builder case per command type would be built again for each
   * session (about 1 KiB each) and tried in turn for each message.
   */
  @Override
  public CommandHandler<Command, Event, SessionState> commandHandler() {
    return newCommandHandlerBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  /** The hot replies first. */
  private Effect<Event, SessionState> onCommand(SessionState s, Command command) {
    if (summarizing != null && summarizing.answers(command)) return onSummarized(s, command);
    if (command instanceof ToolAnswered c) return onToolAnswered(s, c);
    if (command instanceof GuardrailAnswered c) return onGuardrailAnswered(s, c);
    if (command instanceof ModelAnswered c) return onModelAnswered(s, c);
    if (command instanceof ModelDelta c) return onModelDelta(s, c);
    if (command instanceof Deferred c) {
      return c.intentId().equals(loopIntent) ? carryOut(s, c.decision()) : Effect().none();
    }
    if (command instanceof Submit c) {
      return onSubmit(s, c.text(), c.metadata(), c.idempotencyKey(), c.traceParent(), c.agent(), c.replyTo(), false);
    }
    if (command instanceof TakeInbox) return onTakeInbox();
    if (command instanceof TraceChecked c) return onTraceChecked(s, c);
    if (command instanceof InboxRead c) return onInboxRead(s, c);
    String named = intentNamed(command);
    if (named != null && IntentIds.isFromInbox(named)) {
      String merged = s.mergedInboxIds.get(named);
      if (merged != null) {
        command = withIntentId(command, merged);
      } else if (s.intent(named) == null && inbox.available() && lookUpInInbox(named)) {
        return Effect().stash(); // answered after the read, which journals it if it is there
      }
    }
    if (command instanceof SubmitAndWait c) {
      return onSubmit(s, c.text(), c.metadata(), c.idempotencyKey(), c.traceParent(), c.agent(), c.replyTo(), true);
    }
    if (command instanceof AwaitTerminal c) return orphaned(s) ? recoverThen(s, c) : onAwaitTerminal(s, c);
    if (command instanceof Get c) return orphaned(s) ? recoverThen(s, c) : onGet(s, c);
    if (command instanceof GetSession c) return onGetSession(s, c);
    if (command instanceof Erase c) return onErase(s, c);
    if (command instanceof EraseStepDone c) return onEraseStepDone(c);
    if (command instanceof Subscribe c) return orphaned(s) ? recoverThen(s, c) : onSubscribe(s, c);
    if (command instanceof Cancel c) return orphaned(s) ? recoverThen(s, c) : onCancel(s, c);
    if (command instanceof DecideApproval c) return onDecideApproval(s, c);
    if (command instanceof ApprovalTimedOut c) return onApprovalTimedOut(s, c);
    if (command instanceof ApprovalReady c) return onApprovalReady(s, c);
    if (command instanceof DeadlinePassed c) {
      return c.intentId().equals(loopIntent) ? carryOut(s, loop.step(new AgentLoop.DeadlinePassed())) : Effect().none();
    }
    if (command instanceof Loaded c) {
      c.then().accept(c.failure() != null ? Optional.empty() : c.stored());
      return Effect().none();
    }
    if (command instanceof RecoverOrphanedRun c) return onRecoverOrphanedRun(s, c);
    if (command instanceof IdleCheck c) return onIdleCheck(s, c);
    if (command instanceof PassivateIfIdle) {
      if (idle(s) && shard != null) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      return Effect().none();
    }
    if (command instanceof CancelReplyDue c) return onCancelReplyDue(s, c);
    if (command instanceof Passivate) return Effect().stop();
    if (command instanceof Wake) return Effect().none();
    throw new IllegalArgumentException("unknown session command " + command.getClass().getName());
  }

  // Requests from the edge

  private Effect<Event, SessionState> onSubmit(SessionState state, String text, JsonNode metadata, String key,
      TraceParent caller, String agentName,
      ActorRef<StatusReply<IntentView>> replyTo, boolean waitForEnd) {
    requestedSinceIdleCheck = true;
    if (key != null && state.intentByIdempotencyKey.containsKey(key)) {
      String existing = state.intentByIdempotencyKey.get(key);
      if (waitForEnd) return onAwaitTerminal(state, new AwaitTerminal(existing, replyTo));
      return onGet(state, new Get(existing, replyTo));
    }
    String agent = agentName == null || agentName.isEmpty() ? AgentSpec.DEFAULT : agentName;
    if (agents.find(agent).isEmpty()) {
      replyTo.tell(StatusReply.error(Errors.of(Errors.INVALID_REQUEST, agents.unknown(agent))));
      return Effect().none();
    }
    // The default agent is not named in the journal: its events read as those of earlier releases.
    String journaledAgent = agent.equals(AgentSpec.DEFAULT) ? null : agent;
    boolean busy = state.running != null || !state.queued.isEmpty() || loop != null;
    if (busy && settings.busyPolicy() == SessionSettings.BusyPolicy.REJECT) {
      replyTo.tell(StatusReply.error(Errors.of(Errors.CONFLICT,
          "session " + sessionId + " is running another intent; retry when it has finished")));
      return Effect().none();
    }
    String intentId = IntentIds.of(sessionId, state.intentsAccepted + 1);
    List<Event> events = new ArrayList<>();
    List<String> superseded = new ArrayList<>();
    if (busy && settings.busyPolicy() == SessionSettings.BusyPolicy.INTERRUPT) {
      if (state.running != null) superseded.add(state.running);
      superseded.addAll(state.queued);
      for (String id : superseded) {
        SessionState.IntentRecord r = state.intent(id);
        events.add(finished(r, IntentStatus.CANCELLED, Outcome.failed("superseded",
            "A newer intent of the session (" + intentId + ") replaced this one.", "none"), r.usage, List.of()));
      }
      cancelChildren();
      stopLoop();
    }
    long created = TraceClock.nowEpochNanos();
    // In a caller's trace, the root span gets an id of its own: the trace id may be shared by many intents.
    events.add(caller == null
        ? new IntentAccepted(intentId, text, metadata, key, Ids.traceId(), created, null, null, journaledAgent)
        : new IntentAccepted(intentId, text, metadata, key, caller.traceId(), created, Ids.spanId(),
            caller.parentSpanId(), journaledAgent));
    boolean startNow = !busy || settings.busyPolicy() == SessionSettings.BusyPolicy.INTERRUPT;
    if (startNow) events.add(new IntentStarted(intentId, created));
    if (waitForEnd) waiters.computeIfAbsent(intentId, k -> new ArrayList<>()).add(replyTo);
    submitsBeingWritten.put(intentId, new PendingSubmit(replyTo, waitForEnd));
    return Effect().persist(events).thenRun(this::countInFlight).thenRun(s -> {
      submitsBeingWritten.remove(intentId);
      superseded.forEach(id -> afterFinished(s, id));
      SessionState.IntentRecord accepted = s.intent(intentId);
      ObjectNode acceptedData = Json.object().put("intentId", intentId).put("sessionId", sessionId)
          .put("agent", agent);
      if (accepted.parentSpanId != null) {
        acceptedData.put("rootSpanId", accepted.rootSpanId).put("parentSpanId", accepted.parentSpanId)
            .put("parentSampled", caller == null || caller.sampled());
      }
      traces.event(intentId, new IntentEvent(1, "intent.accepted", created, acceptedData));
      if (!waitForEnd) replyTo.tell(StatusReply.success(accepted.view(sessionId, List.of(), s.usage)));
      if (startNow) startRun(s, intentId);
    });
  }

  // The intent inbox (docs/operations.md, "Accepting while a node is down")

  private Effect<Event, SessionState> onTakeInbox() {
    readInbox();
    return Effect().none();
  }

  private void readInbox() {
    if (inboxReading || !inbox.available()) return;
    inboxReading = true;
    ctx.pipeToSelf(inbox.pending(sessionId, INBOX_READ), InboxRead::new);
  }

  /** Starts a read for an inbox id not looked for yet; false if it was (then it is answered as it stands). */
  private boolean lookUpInInbox(String intentId) {
    if (inboxLookups.size() >= INBOX_READ * 16) inboxLookups.clear();
    if (!inboxLookups.add(intentId)) return false;
    if (inboxReading) inboxRereadWanted = true; // that read may have started before the entry was written
    else readInbox();
    return true;
  }

  /** The intent a client's command names, or null for other commands. */
  private static String intentNamed(Command command) {
    if (command instanceof Get c) return c.intentId();
    if (command instanceof AwaitTerminal c) return c.intentId();
    if (command instanceof Subscribe c) return c.intentId();
    if (command instanceof Cancel c) return c.intentId();
    if (command instanceof DecideApproval c) return c.intentId();
    return null;
  }


  /**
   * Journals the entries as accepted intents, in inbox order, behind those the session holds; an
   * entry whose key the session knows is merged into that intent. Then removes them from the inbox.
   */
  private Effect<Event, SessionState> onInboxRead(SessionState state, InboxRead read) {
    inboxReading = false;
    if (read.failure() != null) {
      ctx.getLog().debug("session {} could not read its inbox: {}", sessionId, read.failure().toString());
      inboxRereadWanted = false;
      return Effect().unstashAll(); // the sweeper tells it again
    }
    List<InboxEntry> entries = read.entries();
    // Commands waiting for this read are answered after it, unless another read is due first.
    boolean again = entries.size() >= INBOX_READ || inboxRereadWanted;
    inboxRereadWanted = false;
    if (entries.isEmpty()) return again ? readAgain() : Effect().unstashAll();
    List<Event> events = new ArrayList<>();
    List<String> accepted = new ArrayList<>();
    boolean busy = state.running != null || !state.queued.isEmpty() || loop != null;
    String started = null;
    for (InboxEntry entry : entries) {
      String known = state.intentByIdempotencyKey.get(entry.idempotencyKey());
      if (known != null) {
        if (!known.equals(entry.intentId()) && !state.mergedInboxIds.containsKey(entry.intentId())) {
          events.add(new InboxMerged(entry.intentId(), known));
        }
        continue;
      }
      if (accepted.contains(entry.intentId())) continue;
      String agent = entry.agent() == null || entry.agent().isEmpty() ? AgentSpec.DEFAULT : entry.agent();
      String journaledAgent = agent.equals(AgentSpec.DEFAULT) ? null : agent;
      TraceParent caller = entry.traceParent() == null ? null : TraceParent.parse(entry.traceParent()).orElse(null);
      events.add(caller == null
          ? new IntentAccepted(entry.intentId(), entry.text(), entry.metadata(), entry.idempotencyKey(), Ids.traceId(),
              entry.acceptedNanos(), null, null, journaledAgent)
          : new IntentAccepted(entry.intentId(), entry.text(), entry.metadata(), entry.idempotencyKey(),
              caller.traceId(), entry.acceptedNanos(), Ids.spanId(), caller.parentSpanId(), journaledAgent));
      accepted.add(entry.intentId());
      if (!busy) {
        events.add(new IntentStarted(entry.intentId(), TraceClock.nowEpochNanos()));
        started = entry.intentId();
        busy = true;
      }
    }
    List<Long> taken = entries.stream().map(InboxEntry::inboxId).toList();
    if (events.isEmpty()) {
      inbox.remove(taken);
      return again ? readAgain() : Effect().unstashAll();
    }
    String start = started;
    var persisted = Effect().persist(events).thenRun(this::countInFlight).thenRun(s -> {
      inbox.remove(taken); // a failure leaves them to be read again: their keys are known by then
      for (String id : accepted) {
        SessionState.IntentRecord intent = s.intent(id);
        traces.event(id, new IntentEvent(1, "intent.accepted", intent.createdNanos, Json.object()
            .put("intentId", id).put("sessionId", sessionId)
            .put("agent", intent.agent == null ? AgentSpec.DEFAULT : intent.agent).put("via", "inbox")));
      }
      if (start != null) startRun(s, start);
      if (again) ctx.getSelf().tell(new TakeInbox());
    });
    return again ? persisted : persisted.thenUnstashAll();
  }

  private Effect<Event, SessionState> readAgain() {
    ctx.getSelf().tell(new TakeInbox());
    return Effect().none();
  }

  /** The same command for the intent {@code intentId} (an inbox id merged into it). */
  private static Command withIntentId(Command command, String intentId) {
    if (command instanceof Get c) return new Get(intentId, c.replyTo());
    if (command instanceof AwaitTerminal c) return new AwaitTerminal(intentId, c.replyTo());
    if (command instanceof Subscribe c) return new Subscribe(intentId, c.afterSeq(), c.subscriber());
    if (command instanceof Cancel c) return new Cancel(intentId, c.replyTo());
    if (command instanceof DecideApproval c) {
      return new DecideApproval(intentId, c.approvalId(), c.approve(), c.comment(), c.replyTo());
    }
    return command;
  }

  private Effect<Event, SessionState> onGet(SessionState state, Get cmd) {
    requestedSinceIdleCheck = true;
    withView(state, cmd.intentId(), view -> cmd.replyTo().tell(view == null ? notFound(cmd.intentId())
        : StatusReply.success(view)));
    return Effect().none();
  }

  private Effect<Event, SessionState> onGetSession(SessionState state, GetSession cmd) {
    requestedSinceIdleCheck = true;
    if (state.intentsAccepted == state.erasedThrough) {
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.NOT_FOUND, "no session '" + sessionId + "'")));
      return Effect().none();
    }
    List<IntentView> intents = new ArrayList<>(state.intents.size());
    state.intents.values().forEach(r -> intents.add(r.view(sessionId, List.of(), null)));
    cmd.replyTo().tell(StatusReply.success(new SessionView(sessionId, state.intentsAccepted, List.copyOf(intents),
        List.copyOf(state.history), state.usage, state.summary == null ? null
            : new SessionView.Summary(state.summary, Math.max(0, state.summarizedThrough - state.historyBase)))));
    return Effect().none();
  }

  // Erasure (DELETE /v1/sessions/{id})

  private ActorRef<StatusReply<org.apache.pekko.Done>> eraseReplyTo;
  private int eraseStepsLeft;
  private String eraseFailure;
  private org.apache.pekko.actor.ActorRef eraseReplies; // the classic face of this entity's adapters, made once

  private Effect<Event, SessionState> onErase(SessionState state, Erase cmd) {
    requestedSinceIdleCheck = true;
    if (state.intentsAccepted == 0) {
      // Its only submissions may still wait in the inbox: one read journals them first.
      if (inbox.available() && lookUpInInbox(IntentIds.of(sessionId, 0))) return Effect().stash();
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.NOT_FOUND, "no session '" + sessionId + "'")));
      return Effect().none();
    }
    if (eraseReplyTo != null || loop != null || state.running != null || !state.queued.isEmpty()) {
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.CONFLICT,
          "the session has an intent running or waiting, or is being erased: cancel its intents first")));
      return Effect().none();
    }
    eraseReplyTo = cmd.replyTo();
    if (state.erasedThrough == state.intentsAccepted) {
      eraseStored(); // erased before: its stored data is deleted again (a failed deletion is retried)
      return Effect().none();
    }
    return Effect().persist(new SessionErased(state.intentsAccepted, TraceClock.nowEpochNanos()))
        .thenRun(erased -> eraseStored());
  }

  /** Deletes the journal's events and snapshots before the {@link SessionErased} just written, and the traces. */
  private void eraseStored() {
    if (eraseReplies == null) {
      ActorRef<Object> adapters = ctx.<org.apache.pekko.persistence.DeleteMessagesSuccess>messageAdapter(
          org.apache.pekko.persistence.DeleteMessagesSuccess.class, m -> new EraseStepDone("journal", null)).unsafeUpcast();
      ctx.messageAdapter(org.apache.pekko.persistence.DeleteMessagesFailure.class,
          m -> new EraseStepDone("journal", String.valueOf(m.cause().getMessage())));
      ctx.messageAdapter(org.apache.pekko.persistence.DeleteSnapshotsSuccess.class, m -> new EraseStepDone("snapshots", null));
      ctx.messageAdapter(org.apache.pekko.persistence.DeleteSnapshotsFailure.class,
          m -> new EraseStepDone("snapshots", String.valueOf(m.cause().getMessage())));
      eraseReplies = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(adapters);
    }
    long keepFrom = lastSequenceNumber(ctx); // the SessionErased event: the state's new beginning
    String pid = persistenceId().id();
    var persistence = org.apache.pekko.persistence.Persistence.get(ctx.getSystem().classicSystem());
    eraseStepsLeft = 4;
    eraseFailure = null;
    persistence.journalFor("", com.typesafe.config.ConfigFactory.empty())
        .tell(new org.apache.pekko.persistence.JournalProtocol.DeleteMessagesTo(pid, keepFrom - 1, eraseReplies),
            eraseReplies);
    org.apache.pekko.actor.ActorRef snapshots = null;
    String snapshotPlugin = ctx.getSystem().settings().config().getString("pekko.persistence.snapshot-store.plugin");
    if (!snapshotPlugin.isBlank() && !snapshotPlugin.equals("pekko.persistence.no-snapshot-store")) {
      snapshots = persistence.snapshotStoreFor("", com.typesafe.config.ConfigFactory.empty());
    } else {
      ctx.getSelf().tell(new EraseStepDone("snapshots", null)); // none kept: nothing to delete
    }
    if (snapshots != null) {
      snapshots.tell(new org.apache.pekko.persistence.SnapshotProtocol.DeleteSnapshots(pid,
          org.apache.pekko.persistence.SnapshotSelectionCriteria.create(keepFrom - 1, Long.MAX_VALUE)), eraseReplies);
    }
    ctx.pipeToSelf(traces.eraseSession(sessionId),
        (done, failure) -> new EraseStepDone("traces", failure == null ? null : String.valueOf(failure.getMessage())));
    // Submissions still waiting in the intent inbox go too: they would be taken after the erase.
    ctx.pipeToSelf(inbox.removeSession(sessionId),
        (done, failure) -> new EraseStepDone("inbox", failure == null ? null : String.valueOf(failure.getMessage())));
  }

  private Effect<Event, SessionState> onEraseStepDone(EraseStepDone step) {
    if (eraseReplyTo == null) return Effect().none();
    if (step.failure() != null) {
      ctx.getLog().warn("erasing the session's {} failed: {}", step.part(), step.failure());
      eraseFailure = eraseFailure == null ? step.part() : eraseFailure + ", " + step.part();
    }
    if (--eraseStepsLeft > 0) return Effect().none();
    eraseReplyTo.tell(eraseFailure == null ? StatusReply.success(org.apache.pekko.Done.getInstance())
        : StatusReply.error(Errors.of(Errors.UNAVAILABLE, "the session is erased from view, but deleting its stored "
            + eraseFailure + " failed; send the DELETE again")));
    eraseReplyTo = null;
    return Effect().none();
  }

  private Effect<Event, SessionState> onAwaitTerminal(SessionState state, AwaitTerminal cmd) {
    requestedSinceIdleCheck = true;
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent != null && !intent.status.isTerminal()) {
      waiters.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.replyTo());
      return Effect().none();
    }
    return onGet(state, new Get(cmd.intentId(), cmd.replyTo()));
  }

  private Effect<Event, SessionState> onSubscribe(SessionState state, Subscribe cmd) {
    requestedSinceIdleCheck = true;
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent != null && !intent.status.isTerminal()) {
      List<IntentEvent> so = traces.runningEvents(cmd.intentId());
      if (so != null) so.stream().filter(e -> e.seq() > cmd.afterSeq())
          .forEach(e -> cmd.subscriber().tell(new EventStream.Item(e)));
      subscribers.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.subscriber());
      return Effect().none();
    }
    stored(state, cmd.intentId(), stored -> {
      if (stored.isEmpty()) {
        cmd.subscriber().tell(new EventStream.NotFound(cmd.intentId()));
        return;
      }
      stored.get().events().stream().filter(e -> e.seq() > cmd.afterSeq())
          .forEach(e -> cmd.subscriber().tell(new EventStream.Item(e)));
      cmd.subscriber().tell(new EventStream.Completed());
    });
    return Effect().none();
  }

  private Effect<Event, SessionState> onCancel(SessionState state, Cancel cmd) {
    requestedSinceIdleCheck = true;
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    if (intent == null || intent.status.isTerminal()) {
      withView(state, cmd.intentId(), view -> cmd.replyTo().tell(view == null ? notFound(cmd.intentId())
          : StatusReply.error(Errors.of(Errors.CONFLICT, "intent " + cmd.intentId() + " is already "
              + view.status().json()))));
      return Effect().none();
    }
    if (cmd.intentId().equals(loopIntent)) {
      // The loop ends itself: it lets side effects under way finish, and closes the conversation.
      if (modelCallKey != null) {
        guardrail.tell(new Guardrail.CancelModelCall(modelCallKey));
        modelCallKey = null;
        modelCorr = 0;
      }
      cancelReplies.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.replyTo());
      timers.startSingleTimer(new CancelReplyDue(cmd.intentId()), CANCEL_REPLY_WITHIN);
      cancelChildren();
      return carryOut(state, loop.step(new AgentLoop.Cancelled()));
    }
    List<Event> events = new ArrayList<>();
    events.add(finished(intent, IntentStatus.CANCELLED,
        Outcome.failed("cancelled", "The intent was cancelled by request.", "none"), intent.usage, List.of()));
    boolean wasRunning = cmd.intentId().equals(state.running);
    String next = wasRunning ? nextQueued(state, cmd.intentId()) : null;
    if (next != null) events.add(new IntentStarted(next, TraceClock.nowEpochNanos()));
    return Effect().persist(events).thenRun(this::countInFlight).thenRun(s -> {
      cancelReplies.computeIfAbsent(cmd.intentId(), k -> new ArrayList<>()).add(cmd.replyTo());
      afterFinished(s, cmd.intentId());
      if (next != null) startRun(s, next);
    });
  }

  // Replies from the guardrail and the subsystems

  private Effect<Event, SessionState> onGuardrailAnswered(SessionState state, GuardrailAnswered msg) {
    if (loop == null) return Effect().none();
    Guardrail.Answer a = msg.answer();
    if (a instanceof Guardrail.IntentChecked c && c.corr() == intentCorr) {
      intentCorr = 0;
      return carryOut(state, loop.step(new AgentLoop.IntentChecked(c.verdict(), c.plan(), c.removedByPolicy())));
    }
    if (a instanceof Guardrail.Judged j && j.corr() == judgeCorr && judgeCorr != 0) {
      judgeCorr = 0;
      return carryOut(state, loop.step(new AgentLoop.Judged(j.verdict(), j.millis(), j.failure())));
    }
    if (a instanceof Guardrail.ModelInputDenied d && d.corr() == modelCorr) {
      modelCorr = 0;
      modelCallKey = null;
      return carryOut(state, loop.step(new AgentLoop.ModelInputDenied(loopModelCall, d.denied())));
    }
    if (a instanceof Guardrail.ToolsChecked t && t.corr() == toolCorr) {
      return carryOut(state, loop.step(new AgentLoop.ToolsChecked(toolTurn, t.indices(), t.verdicts(), t.policyVersion())));
    }
    if (a instanceof Guardrail.AnswerChecked c && c.corr() == streamCorr && streamCorr != 0) {
      return onStreamChecked(state, c);
    }
    if (a instanceof Guardrail.AnswerChecked c && c.corr() == answerCorr) {
      answerCorr = 0;
      return carryOut(state, loop.step(new AgentLoop.AnswerChecked(loopAnswerAttempt, c.verdict())));
    }
    return Effect().none(); // stale
  }

  private Effect<Event, SessionState> onModelAnswered(SessionState state, ModelAnswered msg) {
    if (loop == null || msg.result().corr() != modelCorr || modelCorr == 0) return Effect().none();
    modelCorr = 0;
    modelCallKey = null;
    return carryOut(state, loop.step(new AgentLoop.ModelReplied(loopModelCall, msg.result())));
  }

  private Effect<Event, SessionState> onModelDelta(SessionState state, ModelDelta msg) {
    // Streamed text reaches clients only once the guardrail has checked it (StreamGuard).
    String text = msg.delta().text();
    if (loop == null || modelCorr == 0 || text == null || text.isEmpty()) return Effect().none();
    checkStream(stream.add(WellFormed.text(text), TraceClock.nowEpochNanos()));
    return Effect().none();
  }

  private void checkStream(String textSoFar) {
    if (textSoFar == null) return;
    streamCorr = nextCorr++;
    guardrail.tell(new Guardrail.CheckAnswer(streamCorr, loopIntent, textSoFar, answers, loopAgent));
  }

  private Effect<Event, SessionState> onStreamChecked(SessionState state, Guardrail.AnswerChecked c) {
    streamCorr = 0;
    String out = stream.checked(c.verdict(), TraceClock.nowEpochNanos());
    if (out == null) {
      if (modelCorr == 0) return Effect().none(); // the call has ended: the answer's own check decides
      // Refused mid-stream: the provider's request is stopped, and the loop asks again or ends.
      if (modelCallKey != null) guardrail.tell(new Guardrail.CancelModelCall(modelCallKey));
      modelCorr = 0;
      modelCallKey = null;
      return carryOut(state, loop.step(new AgentLoop.StreamRefused(loopModelCall, c.verdict())));
    }
    if (!out.isEmpty()) recordEvent(loopIntent, "model.delta", Json.object().put("text", out));
    if (modelCorr != 0) checkStream(stream.pending());
    return Effect().none();
  }

  private StreamGuard stream = new StreamGuard(0, 0);
  private long streamCorr;

  private Effect<Event, SessionState> onToolAnswered(SessionState state, ToolAnswered msg) {
    long index = msg.result().corr() - toolCorr;
    if (loop == null || toolCorr == 0 || index < 0 || index >= toolCalls) return Effect().none();
    int i = (int) index;
    AgentLoop.Decision next = loop.step(new AgentLoop.ToolResulted(toolTurn, i, msg.result()));
    ChatMessage result = loop.resultOf(i);
    String callId = msg.result().callId();
    if (callId != null && effectCalls.contains(callId) && result != null) {
      // A side effect's result is journaled before anything else happens.
      String intentId = loopIntent;
      return Effect().persist(List.<Event>of(new EffectFinished(intentId, callId, result)))
          .thenRun(s -> carryOutAfter(s, next));
    }
    return carryOut(state, next);
  }

  // Carrying out the loop's decisions

  /** Carries out a decision; the sends that need nothing journaled go at once. */
  private Effect<Event, SessionState> carryOut(SessionState state, AgentLoop.Decision decision) {
    List<Event> events = new ArrayList<>();
    List<Consumer<SessionState>> after = new ArrayList<>();
    plan(state, decision, events, after);
    if (events.isEmpty()) {
      after.forEach(a -> a.accept(state));
      return Effect().none();
    }
    return Effect().persist(events).thenRun(this::countInFlight).thenRun(s -> after.forEach(a -> a.accept(s)));
  }

  /**
   * Inside a thenRun: a decision that needs nothing journaled is carried out now; one that does is
   * carried out by a message to self, planned then against the state as it is then (an intent may
   * have been queued meanwhile).
   */
  private void carryOutAfter(SessionState state, AgentLoop.Decision decision) {
    if (decision instanceof AgentLoop.Checkpoint || decision instanceof AgentLoop.Finish
        || decision instanceof AgentLoop.HandOff || decision instanceof AgentLoop.RunTools r && !r.effectKeys().isEmpty()) {
      ctx.getSelf().tell(new Deferred(loopIntent, decision));
      return;
    }
    plan(state, decision, new ArrayList<>(), new ArrayList<>());
  }

  private void plan(SessionState state, AgentLoop.Decision d, List<Event> events, List<Consumer<SessionState>> after) {
    String intentId = loopIntent;
    if (d instanceof AgentLoop.Checkpoint c) {
      events.add(new TurnCommitted(intentId, c.messages(), loop.usage()));
      plan(state, c.then(), events, after);
    } else if (d instanceof AgentLoop.HandOff h) {
      events.add(new AgentHandedOff(intentId, h.from(), h.to(), h.callId(), TraceClock.nowEpochNanos()));
      loopAgent = h.to();
      plan(state, h.then(), events, after);
    } else if (d instanceof AgentLoop.CheckIntent c) {
      intentCorr = nextCorr++;
      judgeCorr = intentCorr;
      guardrail.tell(new Guardrail.CheckIntent(intentCorr, intentId, c.text(), answers, loopAgent, c.resumed()));
    } else if (d instanceof AgentLoop.CallModel c) {
      modelCorr = nextCorr++;
      stream.nextCall();
      streamCorr = 0;
      modelCallKey = c.callKey();
      loopModelCall = c.call();
      // Sent at once, even while the turn before is being journaled: a model call has no side effect.
      guardrail.tell(new Guardrail.RouteModelCall(modelCorr, intentId, c.request(), c.newFrom(), c.callKey(),
          modelReplies, c.request().stream() ? deltas : null, answers,
          new Guardrail.IntentSpend(loop.usage().totalTokens(), loop.usage().costUsd()), loopAgent));
    } else if (d instanceof AgentLoop.RunTools r) {
      if (r.approved().isEmpty() || r.turn() != toolTurn || toolCorr == 0) {
        toolCorr = nextCorr;
        nextCorr += r.calls().size() + 1;
      } // else an approved call of the open turn: its replies keep the turn's correlation ids
      toolTurn = r.turn();
      toolCalls = r.calls().size();
      effectCalls = r.effectKeys().keySet();
      var route = new Guardrail.RouteToolCalls(toolCorr, intentId, sessionId, r.calls(), r.indices(), r.reconcile(),
          r.effectKeys(), toolReplies, answers, r.approved(), loopAgent, r.children());
      for (int i : r.indices()) {
        String callId = r.calls().get(i).id();
        if (r.effectKeys().containsKey(callId) && !r.reconcile().contains(i)) {
          events.add(new ToolEffectStarted(intentId, callId, r.effectKeys().get(callId)));
        }
      }
      if (events.isEmpty()) guardrail.tell(route);
      else after.add(s -> guardrail.tell(route));
    } else if (d instanceof AgentLoop.AwaitApproval a) {
      planApprovals(state, a, events, after);
    } else if (d instanceof AgentLoop.CheckAnswer c) {
      answerCorr = nextCorr++;
      loopAnswerAttempt = c.attempt();
      guardrail.tell(new Guardrail.CheckAnswer(answerCorr, intentId, c.answer(), answers, loopAgent));
    } else if (d instanceof AgentLoop.Finish f) {
      SessionState.IntentRecord intent = state.intent(intentId);
      IntentUsage usage = loop.usage();
      if (f.status() == IntentStatus.SUCCEEDED) {
        // The answer passed: the rest of its streamed text (or the policy's rewrite of it) goes out now.
        if (stream.streamed()) {
          String rest = stream.finish(f.outcome().answer(), TraceClock.nowEpochNanos());
          if (!rest.isEmpty()) recordEvent(intentId, "model.delta", Json.object().put("text", rest));
          loop.streamGuarded(stream.firstReleaseDelayMillis(), stream.maxHeldChars());
        }
      }
      if (intent.approvals != null) {
        // Nothing waits any more: a pending approval is closed, so no list shows it.
        for (SessionState.Approval a : intent.approvals) {
          if (!a.decided()) {
            events.add(new ApprovalDecided(intentId, a.id(), false, "the intent ended before a decision",
                TraceClock.nowEpochNanos()));
          }
        }
      }
      events.add(finished(intent, f.status(), f.outcome(), usage, f.transcript()));
      cancelChildren();
      stopLoop();
      String next = nextQueued(state, intentId);
      if (next != null) events.add(new IntentStarted(next, TraceClock.nowEpochNanos()));
      after.add(s -> {
        afterFinished(s, intentId);
        if (next != null) startRun(s, next);
      });
    }
  }

  private record Deferred(String intentId, AgentLoop.Decision decision) implements Command {}

  // Approvals: a durable pause of one tool call.

  /** The running loop's calls that wait: approval id to the turn and index. */
  private final Map<String, int[]> awaiting = new HashMap<>();

  private void planApprovals(SessionState state, AgentLoop.AwaitApproval a, List<Event> events,
      List<Consumer<SessionState>> after) {
    String intentId = loopIntent;
    SessionState.IntentRecord intent = state.intent(intentId);
    timers.cancel("deadline"); // a person's time is not the run's: the approval timeout bounds it
    for (int k = 0; k < a.indices().size(); k++) {
      int index = a.indices().get(k);
      ToolCall call = a.calls().get(index);
      String hash = argumentsHash(call);
      SessionState.Approval known = intent.approvalFor(call.id(), hash, a.policyVersion());
      String id = known != null ? known.id() : "a" + (intent.approvalCount() + k + 1); // unique within the intent
      awaiting.put(id, new int[] {a.turn(), index});
      if (known == null) {
        Verdict why = a.verdicts().get(k);
        events.add(new ApprovalRequested(intentId, id, call.id(), call.name(), call.arguments(), hash,
            a.policyVersion(), why.reason(), TraceClock.nowEpochNanos()));
        after.add(s -> {
          recordEvent(intentId, "approval.requested", Json.object().put("approvalId", id).put("callId", call.id())
              .put("tool", call.name()).put("reason", why.reason()));
          timers.startSingleTimer("approval-" + id, new ApprovalTimedOut(intentId, id), settings.approvalTimeout());
        });
      } else if (known.decided()) {
        after.add(s -> ctx.getSelf().tell(new ApprovalReady(intentId, id))); // decided while the run was down
      } else {
        Duration left = settings.approvalTimeout().minus(
            Duration.ofNanos(Math.max(0, TraceClock.nowEpochNanos() - known.requestedNanos())));
        timers.startSingleTimer("approval-" + id, new ApprovalTimedOut(intentId, id),
            left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left);
      }
    }
  }

  static String argumentsHash(ToolCall call) {
    return io.troupe.core.guardrail.GuardrailSettings.digest(
        call.name() + "\n" + (call.arguments() == null ? "" : call.arguments().toString()));
  }

  private Effect<Event, SessionState> onDecideApproval(SessionState state, DecideApproval cmd) {
    requestedSinceIdleCheck = true;
    SessionState.IntentRecord intent = state.intent(cmd.intentId());
    SessionState.Approval approval = intent == null ? null : intent.approval(cmd.approvalId());
    if (approval == null) {
      withView(state, cmd.intentId(), view -> cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.NOT_FOUND,
          "approval " + cmd.approvalId() + " of intent " + cmd.intentId() + " not found"))));
      return Effect().none();
    }
    if (approval.decided() || intent.status.isTerminal()) {
      String why = approval.decided() ? "approval " + cmd.approvalId() + " was already "
          + (approval.approved() ? "approved" : "rejected") : "intent " + cmd.intentId() + " is already " + intent.status.json();
      cmd.replyTo().tell(StatusReply.error(Errors.of(Errors.CONFLICT, why)));
      return Effect().none();
    }
    if (TraceClock.nowEpochNanos() - approval.requestedNanos() >= settings.approvalTimeout().toNanos()) {
      // Its time passed while no node ran its timer (the node that paused it died): it is rejected, not decided now.
      ActorRef<StatusReply<IntentView>> replyTo = cmd.replyTo();
      String approvalId = cmd.approvalId();
      return decide(cmd.intentId(), approvalId, false, timedOutComment(), null).thenRun(s -> replyTo.tell(
          StatusReply.error(Errors.of(Errors.CONFLICT, "approval " + approvalId + " was " + timedOutComment()
              + " and counts as rejected"))));
    }
    return decide(cmd.intentId(), cmd.approvalId(), cmd.approve(), cmd.comment(), cmd.replyTo());
  }

  private static final String TIMED_OUT = "not decided within ";
  private static final String TIMEOUT_KEY = "(troupe.guardrail.approval-timeout)";

  private String timedOutComment() {
    return TIMED_OUT + settings.approvalTimeout() + " " + TIMEOUT_KEY;
  }

  private static boolean timedOut(SessionState.Approval approval) {
    return !approval.approved() && approval.comment() != null && approval.comment().startsWith(TIMED_OUT)
        && approval.comment().endsWith(TIMEOUT_KEY);
  }

  private Effect<Event, SessionState> onApprovalTimedOut(SessionState state, ApprovalTimedOut t) {
    SessionState.IntentRecord intent = state.intent(t.intentId());
    SessionState.Approval approval = intent == null ? null : intent.approval(t.approvalId());
    if (approval == null || approval.decided() || intent.status.isTerminal()) return Effect().none();
    return decide(t.intentId(), t.approvalId(), false, timedOutComment(), null);
  }

  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, SessionState> decide(String intentId,
      String approvalId, boolean approve, String comment,
      ActorRef<StatusReply<IntentView>> replyTo) {
    return Effect().persist(List.<Event>of(new ApprovalDecided(intentId, approvalId, approve, comment,
        TraceClock.nowEpochNanos()))).thenRun(s -> {
          timers.cancel("approval-" + approvalId);
          ObjectNode data = Json.object().put("approvalId", approvalId).put("decision", approve ? "approve" : "reject");
          if (comment != null) data.put("comment", comment);
          recordEvent(intentId, "approval.decided", data);
          ctx.getSelf().tell(new ApprovalReady(intentId, approvalId));
          if (replyTo != null) withView(s, intentId, view -> replyTo.tell(StatusReply.success(view)));
        });
  }

  private Effect<Event, SessionState> onApprovalReady(SessionState state, ApprovalReady r) {
    int[] at = awaiting.remove(r.approvalId());
    if (loop == null || !r.intentId().equals(loopIntent) || at == null) return Effect().none();
    SessionState.Approval approval = state.intent(r.intentId()).approval(r.approvalId());
    if (awaiting.isEmpty()) timers.startSingleTimer("deadline", new DeadlinePassed(r.intentId()), settings.deadline());
    return carryOut(state, loop.step(new AgentLoop.ApprovalDecided(at[0], at[1], approval.approved(), approval.comment(),
        approval.policyVersion(), timedOut(approval), approval.id(), approval.requestedNanos(),
        approval.decidedNanos())));
  }

  private static String nextQueued(SessionState state, String finishing) {
    for (String id : state.queued) {
      if (!id.equals(finishing)) return id;
    }
    return null;
  }

  /**
   * Starts the run of an intent: first the history it sees (its agent's memory, {@link HistoryWindow}).
   * When turns fell out of the window that no summary holds yet and the agent summarises, the loop
   * waits for the summary (a model call through the guardrail, answered here).
   */
  private void startRun(SessionState state, String intentId) {
    SessionState.IntentRecord intent = state.intent(intentId);
    mdc.running(intentId, intent.traceId, intent.spanOfRoot());
    AgentLoop.Limits limits = limitsOf(intent.agentOrDefault());
    AgentSpec.Memory memory = memoryOf(intent.agentOrDefault());
    HistoryWindow.Selection selection = window(state, memory);
    if (!selection.needsSummary()) {
      runLoop(state, intentId, selection.window());
      return;
    }
    summarizing = HistorySummary.start(nextCorr++, intent.id, intent.traceId, intent.spanOfRoot(), limits, memory,
        state.summary, selection);
    guardrail.tell(new Guardrail.RouteModelCall(summarizing.corr(), intentId, summarizing.request(), 0,
        summarizing.callKey(), modelReplies, null, answers,
        new Guardrail.IntentSpend(intent.usage.totalTokens(), intent.usage.costUsd()), intent.agentOrDefault()));
  }

  private HistoryWindow.Selection window(SessionState state, AgentSpec.Memory memory) {
    return HistoryWindow.select(state.history, state.historyBase, state.summary, state.summarizedThrough, memory,
        settings.historyMessages());
  }

  /** The memory of {@code agent}; none (the message bound) for {@code default} as troupe.agent has it. */
  private AgentSpec.Memory memoryOf(String agent) {
    return agents.find(agent).or(() -> agents.find(AgentSpec.DEFAULT)).map(AgentSpec::memory)
        .orElse(AgentSpec.Memory.NONE);
  }

  /** Whether {@code command} replies to model call {@code corr}: its answer, or the guardrail's refusal of its input. */
  static boolean answersCall(Command command, long corr) {
    return command instanceof ModelAnswered m && m.result().corr() == corr
        || command instanceof GuardrailAnswered g && g.answer() instanceof Guardrail.ModelInputDenied d && d.corr() == corr;
  }

  /** The summary of a run about to start, or null. */
  private HistorySummary summarizing;

  /**
   * The summary came (or failed): journaled, the run starts with it; failed, the run starts without
   * the turns that fell out of its window, and a step says why.
   */
  private Effect<Event, SessionState> onSummarized(SessionState state, Command reply) {
    HistorySummary pending = summarizing;
    summarizing = null;
    SessionState.IntentRecord intent = state.intent(pending.intentId());
    if (loop != null || !pending.intentId().equals(state.running) || intent == null || intent.status.isTerminal()) {
      return Effect().none(); // cancelled or replaced meanwhile
    }
    HistorySummary.Outcome outcome = reply instanceof ModelAnswered m ? pending.answered(m.result())
        : pending.denied(((Guardrail.ModelInputDenied) ((GuardrailAnswered) reply).answer()).denied());
    traces.step(pending.intentId(), outcome.step());
    String intentId = pending.intentId();
    if (outcome.summary() == null) {
      ctx.getLog().info("intent {}: summarising the older history failed, it runs without it: {}", intentId,
          outcome.failure());
      runLoop(state, intentId, pending.selection().window());
      if (loop != null) loop.countBefore(outcome.usage()); // an empty answer still cost its tokens
      return Effect().none();
    }
    AgentSpec.Memory memory = memoryOf(intent.agentOrDefault());
    return Effect().persist(List.<Event>of(new HistorySummarized(intentId, outcome.summary(),
            pending.selection().through(), outcome.usage(), TraceClock.nowEpochNanos())))
        .thenRun(s -> runLoop(s, intentId, window(s, memory).window()));
  }

  private void runLoop(SessionState state, String intentId, List<ChatMessage> history) {
    SessionState.IntentRecord intent = state.intent(intentId);
    AgentLoop.Resume resume = intent.resumes == 0 ? null : new AgentLoop.Resume(
        List.copyOf(intent.committed), Set.copyOf(intent.effectsStarted), Map.copyOf(intent.effectResults),
        intent.usage);
    eventSeq = intent.lastEventSeq;
    loopIntent = intentId;
    mdc.running(intentId, intent.traceId, intent.spanOfRoot());
    stream = new StreamGuard(settings.streamWindowChars(), settings.streamHoldBackChars());
    AgentLoop.Limits limits = limitsOf(intent.agentOrDefault());
    // A child intent (an agent called as a tool) runs one level deeper, within what its parent has left.
    JsonNode parent = intent.metadata == null ? null : intent.metadata.get(io.troupe.core.agent.AgentCall.METADATA_KEY);
    int depth = parent == null ? 0 : Math.max(1, parent.path("depth").asInt(1));
    int stepsLeft = parent == null ? 0 : parent.path("maxSteps").asInt(0);
    if (stepsLeft > 0 && stepsLeft < limits.maxSteps()) limits = limits.withMaxSteps(stepsLeft);
    loopAgent = limits.agent();
    loop = new AgentLoop(intentId, intent.text, intent.traceId, intent.spanOfRoot(), limits,
        history,
        resume, catalogs.current()::isSideEffecting, new AgentLoop.Recorder() {
          @Override
          public void step(Step step) {
            JsonNode detail = TraceRedaction.carriesContent(step.kind()) ? redaction.scrub(step.detail()) : step.detail();
            traces.step(intentId, detail == step.detail() ? step : step.withDetail(detail));
          }

          @Override
          public void event(String type, JsonNode data) {
            recordEvent(intentId, type, TraceRedaction.carriesContent(type) ? redaction.scrub(data) : data);
          }
        });
    loop.team(new AgentLoop.Team(name -> agents.find(name).orElse(null),
        name -> agents.find(name).isPresent() ? limitsOf(name) : null, depth, settings.maxAgentDepth()));
    timers.startSingleTimer("deadline", new DeadlinePassed(intentId), remainingTime(intent));
    if (resume == null) loop.countBefore(intent.usage); // a summary of older history, if any
    plan(state, loop.start(), new ArrayList<>(), new ArrayList<>());
  }

  /**
   * The limits of a run of {@code agent}. An agent that is gone from the configuration (a journaled
   * intent resumed after a restart without it) runs as {@code default}.
   */
  private AgentLoop.Limits limitsOf(String agent) {
    if (agent.equals(AgentSpec.DEFAULT) && !agents.defaultDefined()) return limits;
    AgentSpec spec = agents.find(agent).orElse(null);
    if (spec == null) {
      ctx.getLog().warn("the agent '{}' of a journaled intent no longer exists; it runs as '{}'", agent,
          AgentSpec.DEFAULT);
      spec = agents.find(AgentSpec.DEFAULT).orElse(null);
    }
    return spec == null || (spec.name().equals(AgentSpec.DEFAULT) && !agents.defaultDefined()) ? limits
        : AgentLoop.Limits.of(settings, spec);
  }

  /** A resumed run keeps the deadline of its first start. */
  private Duration remainingTime(SessionState.IntentRecord intent) {
    if (intent.resumes == 0 || intent.startedNanos <= 0) return settings.deadline();
    Duration left = settings.deadline().minus(Duration.ofNanos(TraceClock.nowEpochNanos() - intent.startedNanos));
    return left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left;
  }

  /** Child intents (agents called as tools) still running are cancelled with their parent. */
  private void cancelChildren() {
    List<String> running = loop == null ? List.of() : loop.runningChildren();
    if (!running.isEmpty()) guardrail.tell(new Guardrail.CancelChildren(running));
  }

  private void stopLoop() {
    if (modelCallKey != null) guardrail.tell(new Guardrail.CancelModelCall(modelCallKey));
    if (summarizing != null) guardrail.tell(new Guardrail.CancelModelCall(summarizing.callKey()));
    summarizing = null;
    loop = null;
    loopIntent = null;
    mdc.idle();
    intentCorr = judgeCorr = modelCorr = answerCorr = toolCorr = 0;
    modelCallKey = null;
    toolCalls = 0;
    effectCalls = Set.of();
    timers.cancel("deadline");
    awaiting.keySet().forEach(id -> timers.cancel("approval-" + id));
    awaiting.clear();
  }

  private void recordEvent(String intentId, String type, JsonNode data) {
    IntentEvent event = new IntentEvent(++eventSeq, type, TraceClock.nowEpochNanos(), data);
    traces.event(intentId, event);
    List<ActorRef<EventStream.Message>> listening = subscribers.get(intentId);
    if (listening != null) listening.forEach(s -> s.tell(new EventStream.Item(event)));
  }

  // Recovery

  private Effect<Event, SessionState> onRecoverOrphanedRun(SessionState state, RecoverOrphanedRun cmd) {
    if (state.running != null && loop == null) {
      SessionState.IntentRecord orphan = state.intent(state.running);
      mdc.about(orphan.id, orphan.traceId, orphan.spanOfRoot());
      if (orphan.resumes < settings.maxResumes()) {
        int attempt = orphan.resumes + 1;
        ctx.getLog().info("intent {} was running when its node stopped; resuming it (attempt {})", orphan.id, attempt);
        long seq = orphan.lastEventSeq + 1;
        IntentEvent resumed = new IntentEvent(seq, "intent.resumed", TraceClock.nowEpochNanos(),
            Json.object().put("attempt", attempt).put("completedToolTurns", toolTurns(orphan.committed)));
        return Effect().persist(List.<Event>of(new IntentResumed(orphan.id, resumed))).thenRun(s -> {
          traces.event(orphan.id, resumed);
          startRun(s, orphan.id);
        });
      }
      ctx.getLog().info("intent {} was running when its node stopped; marking it interrupted", orphan.id);
      String why = settings.maxResumes() == 0
          ? "The node stopped while this intent was running; runs are not resumed here (troupe.agent.max-resumes = 0)."
          : "The node stopped while this intent was running, after it had been resumed " + orphan.resumes + " time(s).";
      List<Event> events = new ArrayList<>();
      events.add(finished(orphan, IntentStatus.INTERRUPTED, Outcome.failed("interrupted", why, "resubmit"),
          orphan.usage, List.of()));
      String next = nextQueued(state, orphan.id);
      if (next != null) events.add(new IntentStarted(next, TraceClock.nowEpochNanos()));
      return Effect().persist(events).thenRun(this::countInFlight).thenRun(s -> {
        afterFinished(s, orphan.id);
        if (next != null) startRun(s, next);
      });
    }
    if (state.running == null && loop == null && !state.queued.isEmpty()) {
      String next = state.queued.peekFirst();
      return Effect().persist(List.<Event>of(new IntentStarted(next, TraceClock.nowEpochNanos())))
          .thenRun(this::countInFlight).thenRun(s -> startRun(s, next));
    }
    return Effect().none();
  }

  /** An intent runs in the journal but not here: nobody may see it "running" before it is resumed or ended. */
  private boolean orphaned(SessionState state) {
    return state.running != null && loop == null && summarizing == null;
  }

  /** Resumes (or ends) the orphaned run first; {@code cmd} is handled after it. */
  private Effect<Event, SessionState> recoverThen(SessionState state, Command cmd) {
    ctx.getSelf().tell(cmd);
    return onRecoverOrphanedRun(state, new RecoverOrphanedRun());
  }

  private static int toolTurns(List<ChatMessage> committed) {
    if (committed == null) return 0;
    return (int) committed.stream().filter(m -> m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty())
        .count();
  }

  private Effect<Event, SessionState> onCancelReplyDue(SessionState state, CancelReplyDue cmd) {
    List<ActorRef<StatusReply<IntentView>>> waiting = cancelReplies.remove(cmd.intentId());
    if (waiting != null) {
      withView(state, cmd.intentId(), view -> waiting.forEach(w -> w.tell(StatusReply.success(view))));
    }
    return Effect().none();
  }

  private Effect<Event, SessionState> onIdleCheck(SessionState state, IdleCheck cmd) {
    boolean idle = !requestedSinceIdleCheck && idle(state);
    requestedSinceIdleCheck = false;
    if (idle && shard != null) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    return Effect().none();
  }

  private boolean idle(SessionState state) {
    return loop == null && state.running == null && state.queued.isEmpty() && subscribers.isEmpty() && waiters.isEmpty();
  }

  // The end of an intent

  private IntentFinished finished(SessionState.IntentRecord intent, IntentStatus status, Outcome outcome,
      IntentUsage usage, List<ChatMessage> transcript) {
    long seq = intent.id.equals(loopIntent) ? eventSeq + 1 : intent.lastEventSeq + 1;
    endsBeingWritten.add(intent.id);
    return new IntentFinished(intent.id, status, outcome, TraceClock.nowEpochNanos(), seq, usage, transcript);
  }

  /** The intent ended and is journaled: seal its trace, and answer who waits for it. */
  private void afterFinished(SessionState state, String intentId) {
    endsBeingWritten.remove(intentId);
    SessionState.IntentRecord intent = state.intent(intentId);
    ObjectNode data = Json.object().put("status", intent.status.json());
    Outcome outcome = intent.outcome;
    if (outcome.answer() != null) data.put("answer", outcome.answer());
    if (outcome.output() != null && !outcome.output().isNull()) data.set("output", outcome.output());
    if (outcome.error() != null) data.put("error", outcome.error()).put("code", outcome.errorCode());
    IntentEvent terminal = new IntentEvent(intent.lastEventSeq, intent.status.eventType(), intent.finishedNanos, data);
    traces.event(intentId, terminal);
    IntentView view = traces.finish(intent.view(sessionId, List.of(), state.usage)).view();
    List<ActorRef<EventStream.Message>> listening = subscribers.remove(intentId);
    if (listening != null) {
      listening.forEach(s -> {
        s.tell(new EventStream.Item(terminal));
        s.tell(new EventStream.Completed());
      });
    }
    List<ActorRef<StatusReply<IntentView>>> waiting = waiters.remove(intentId);
    if (waiting != null) waiting.forEach(w -> w.tell(StatusReply.success(view)));
    List<ActorRef<StatusReply<IntentView>>> cancelled = cancelReplies.remove(intentId);
    if (cancelled != null) cancelled.forEach(w -> w.tell(StatusReply.success(view)));
    state.bound(settings.recentIntents(), settings.idempotencyWindow());
  }

  // Reads

  /** The intent's resource: from this session's summary and the trace store; null when unknown. */
  private void withView(SessionState state, String intentId, Consumer<IntentView> reply) {
    SessionState.IntentRecord intent = state.intent(intentId);
    if (intent != null && !intent.status.isTerminal()) {
      reply.accept(intent.view(sessionId, traces.runningSteps(intentId), state.usage));
      return;
    }
    IntentUsage sessionUsage = state.usage;
    stored(state, intentId, stored -> {
      if (stored.isPresent()) {
        IntentView v = stored.get().view();
        reply.accept(new IntentView(v.id(), v.sessionId(), v.status(), v.text(), v.metadata(), v.createdNanos(),
            v.finishedNanos(), v.outcome(), v.steps(), v.usage(), v.traceId(), sessionUsage, v.agent()));
      } else if (intent != null) {
        reply.accept(intent.view(sessionId, List.of(), sessionUsage)); // its trace was lost
      } else {
        reply.accept(null);
      }
    });
  }

  /** A finished intent from the trace store: at once from memory, else read off the actor's thread. */
  private void stored(SessionState state, String intentId, Consumer<Optional<StoredIntent>> then) {
    Optional<StoredIntent> inMemory = traces.finishedInMemory(intentId);
    if (inMemory.isPresent() || !mayExist(state, intentId)) {
      then.accept(inMemory);
      return;
    }
    ctx.pipeToSelf(traces.load(intentId), (stored, failure) -> new Loaded(intentId, stored, failure, then));
  }

  /** Whether this session ever accepted an intent of that id. */
  private static boolean mayExist(SessionState state, String intentId) {
    if (IntentIds.isFromInbox(intentId)) return state.intentsAccepted > 0; // the trace store knows
    int dot = intentId.lastIndexOf('.');
    try {
      long ordinal = Long.parseLong(intentId.substring(dot + 1));
      return ordinal >= 1 && ordinal <= state.intentsAccepted;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static StatusReply<IntentView> notFound(String intentId) {
    return StatusReply.error(Errors.of(Errors.NOT_FOUND, "no intent " + intentId));
  }

  // Events

  /** One case for every event, as for commands. */
  @Override
  public EventHandler<SessionState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(this::onEvent);
  }

  private SessionState onEvent(SessionState current, Event event) {
    SessionState state = current == empty ? new SessionState() : current;
    if (event instanceof SessionErased e) {
      state.erase(e.intentsAccepted());
      return state;
    }
    if (event instanceof TurnCommitted e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null && intent.committed != null) {
        intent.committed.addAll(e.messages());
        if (e.usage() != null) {
          state.usage = state.usage.plus(e.usage().minus(intent.usage));
          intent.usage = e.usage();
        }
      }
      return state;
    }
    if (event instanceof IntentAccepted e) {
      state.intentsAccepted++;
      SessionState.IntentRecord accepted =
          new SessionState.IntentRecord(e.intentId(), e.text(), e.metadata(), e.traceId(), e.createdNanos());
      accepted.rootSpanId = e.rootSpanId();
      accepted.parentSpanId = e.parentSpanId();
      accepted.agent = e.agent();
      state.intents.put(e.intentId(), accepted);
      if (e.idempotencyKey() != null) state.intentByIdempotencyKey.put(e.idempotencyKey(), e.intentId());
      state.queued.addLast(e.intentId());
      return state;
    }
    if (event instanceof InboxMerged e) {
      state.mergeInboxId(e.inboxIntentId(), e.intentId(), settings.idempotencyWindow());
      return state;
    }
    if (event instanceof IntentStarted e) {
      state.queued.remove(e.intentId());
      state.running = e.intentId();
      SessionState.IntentRecord intent = state.intent(e.intentId());
      intent.status = IntentStatus.RUNNING;
      intent.startedNanos = e.startedNanos();
      intent.beginRun();
      return state;
    }
    if (event instanceof IntentFinished e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent == null) return state;
      intent.status = e.status();
      intent.outcome = e.outcome();
      intent.finishedNanos = e.finishedNanos();
      intent.lastEventSeq = Math.max(intent.lastEventSeq, e.eventSeq());
      IntentUsage usage = e.usage() != null ? e.usage() : intent.usage;
      state.usage = state.usage.plus(usage.minus(intent.usage));
      intent.usage = usage;
      intent.endRun();
      state.queued.remove(e.intentId());
      if (e.intentId().equals(state.running)) state.running = null;
      state.remember(e.transcript(), settings.historyMessages(), HistoryWindow.retainTokens(agents.all()));
      // Not the intent just ended: afterFinished still reads it (it bounds the state itself then).
      state.bound(settings.recentIntents(), settings.idempotencyWindow(), e.intentId());
      return state;
    }
    if (event instanceof HistorySummarized e) {
      state.summarized(e.summary(), e.through());
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null && e.usage() != null) {
        intent.usage = intent.usage.plus(e.usage());
        state.usage = state.usage.plus(e.usage());
      }
      return state;
    }
    if (event instanceof ApprovalRequested e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null) {
        intent.addApproval(new SessionState.Approval(e.approvalId(), e.callId(), e.tool(), e.arguments(),
            e.argumentsHash(), e.policyVersion(), e.reason(), e.requestedNanos(), null, null, 0));
        if (!intent.status.isTerminal()) intent.status = IntentStatus.AWAITING_APPROVAL;
        // Journaled as started before the guardrail held it: it did not start, so a resume runs it
        // (once approved) instead of settling an effect that never began.
        if (intent.effectsStarted != null) intent.effectsStarted.remove(e.callId());
      }
      return state;
    }
    if (event instanceof ApprovalDecided e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null) {
        intent.decideApproval(e.approvalId(), e.approved(), e.comment(), e.decidedNanos());
        if (intent.status == IntentStatus.AWAITING_APPROVAL && !intent.hasPendingApproval()) {
          intent.status = IntentStatus.RUNNING;
        }
      }
      return state;
    }
    if (event instanceof ToolEffectStarted e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null && intent.effectsStarted != null) intent.effectsStarted.add(e.callId());
      return state;
    }
    if (event instanceof AgentHandedOff e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null) intent.agent = e.to();
      return state;
    }
    if (event instanceof EffectFinished e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      if (intent != null && intent.effectResults != null) intent.effectResults.put(e.callId(), e.result());
      return state;
    }
    if (event instanceof IntentResumed e) {
      SessionState.IntentRecord intent = state.intent(e.intentId());
      intent.resumes++;
      intent.lastEventSeq = Math.max(intent.lastEventSeq, e.event().seq());
      return state;
    }
    if (event instanceof IntentProgressed e) return applyLegacyProgress(state, e);
    if (event instanceof IntentProgressBatch batch) {
      batch.steps().forEach(e -> applyLegacyProgress(state, e));
      return state;
    }
    throw new IllegalArgumentException("unknown session event " + event.getClass().getName());
  }

  /** A version 1 step: its conversation message and usage still matter to a resume. */
  private static SessionState applyLegacyProgress(SessionState state, IntentProgressed e) {
    SessionState.IntentRecord intent = state.intent(e.intentId());
    if (intent == null) return state;
    if (e.event() != null) intent.lastEventSeq = Math.max(intent.lastEventSeq, e.event().seq());
    if (e.usage() != null) {
      state.usage = state.usage.plus(e.usage().minus(intent.usage));
      intent.usage = e.usage();
    }
    if (e.message() != null && intent.committed != null) intent.committed.add(e.message());
    return state;
  }
}
