package io.troupe.llm;

import com.typesafe.config.Config;
import io.troupe.core.actor.Asks;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.Usage;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.runtime.Subsystems;
import io.troupe.llm.http.ProviderErrors;
import io.troupe.llm.http.RateLimitInfo;
import io.troupe.core.quota.LocalLeases;
import io.troupe.core.quota.QuotaCoordinator;
import io.troupe.core.quota.TokenBucket;
import io.troupe.llm.resilience.Backoff;
import io.troupe.llm.resilience.Bulkhead;
import io.troupe.llm.resilience.CircuitBreaker;
import io.troupe.llm.resilience.ConnectionPacer;
import io.troupe.llm.resilience.RateLimitReporting;
import io.troupe.llm.resilience.RateLimits;
import io.troupe.llm.resilience.ResilienceSettings;
import io.troupe.llm.resilience.TokenEstimate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The LLM gateway subsystem. On {@link Lifecycle.Init} it builds the configured provider (and the
 * providers of its fallback chain) and waits for their {@code init()}; then it sends every
 * {@link LlmGateway.Chat} through its resilience layer and answers with a
 * {@link LlmGateway.ChatResult}. Deltas go from the provider straight to {@code deltaTo}.
 *
 * <p>The path of one call ({@link #start}): the target's circuit breaker, the provider's bulkhead
 * (a slot, or a place in its bounded queue), its request and token buckets (a timer while they
 * refill), then the provider. A retryable failure comes back after a backoff timer; a target that
 * still fails hands the call to the next one of {@code troupe.llm.fallback}. Every piece of state
 * lives in this actor; provider futures come back with {@code pipeToSelf}, tagged with the attempt
 * they belong to, so a late one is dropped. Time comes from the timers and an injectable clock,
 * so tests run on {@code ManualTime}.
 */
public final class LlmGatewayActor extends AbstractBehavior<LlmGateway.Command> {

  /** The subsystem name used in readiness and errors. */
  public static final String NAME = Subsystems.LLM;

  private record ProvidersInitialized(
      long attempt, List<String> names, List<LlmProvider> providers, List<CompletableFuture<Void>> readiness,
      ActorRef<Lifecycle.Initialized> replyTo)
      implements LlmGateway.Command {}

  private record AttemptDone(long callId, long seq, ChatResponse response, Throwable error) implements LlmGateway.Command {}

  private record AttemptTimedOut(long callId, long seq) implements LlmGateway.Command {}

  private record CallTimedOut(long callId) implements LlmGateway.Command {}

  /** A rate-limit wait or a backoff is over. */
  private record Resume(long callId, long seq) implements LlmGateway.Command {}

  private record RateLimitsObserved(String provider, RateLimitInfo info) implements LlmGateway.Command {}

  /** The quota coordinator answered lease request {@code no} of a provider (or the ask failed). */
  private record LeaseAnswered(String provider, long no, QuotaCoordinator.Lease lease, Throwable error)
      implements LlmGateway.Command {}

  /** Time to ask the coordinator again (after a refusal's retry-after, or a failed ask). */
  private record AskLease(String provider) implements LlmGateway.Command {}

  /** A call waited for a cluster lease as long as max-wait allows. */
  private record QuotaWaitOver(long callId) implements LlmGateway.Command {}

  /** A provider's connection pacer may have a permit again. */
  private record PaceTick(String provider) implements LlmGateway.Command {}

  private record TimerKey(String kind, long callId) {}

  private record PaceTimerKey(String provider) {}

  private record LeaseTimerKey(String provider) {}

  /** Between a failed lease request and the next one. */
  private static final Duration LEASE_RETRY = Duration.ofMillis(250);

  /** Where a call may go: a provider, and a model (null for the provider's default). */
  record Target(String provider, String model) {
    String label() {
      return provider + "/" + (model == null ? "default" : model);
    }
  }

  /**
   * One provider's bulkhead and buckets. In cluster scope the static limits are the cluster's: the
   * local buckets only follow the provider's headers, and the permits come from leases.
   */
  private static final class Lane {
    final ResilienceSettings settings;
    final Bulkhead bulkhead;
    final TokenBucket requests;
    final TokenBucket tokens;
    final LocalLeases leases; // null in node scope
    final Set<Long> quotaWaiters = new LinkedHashSet<>(); // calls waiting for a lease, in order
    boolean leaseAsked; // a lease request is on its way
    long leaseAskNo;
    boolean denied; // the coordinator said "nothing until deniedUntil"
    long deniedUntil;
    boolean pumping; // handing freed slots to waiting calls (guards against recursion)
    final ConnectionPacer pacer;
    final ArrayDeque<Long> paced = new ArrayDeque<>(); // calls holding a slot, waiting for a connection permit
    boolean pacing; // handing permits to paced calls (guards against recursion)

    Lane(ResilienceSettings settings, long now, boolean cluster) {
      this.settings = settings;
      this.bulkhead = new Bulkhead(settings.bulkhead());
      this.pacer = new ConnectionPacer(settings.pacing(), now);
      ResilienceSettings.RateLimitSettings rl = settings.rateLimit();
      if (cluster) {
        this.requests = new TokenBucket(0, now);
        this.tokens = new TokenBucket(0, now);
        this.leases = new LocalLeases(batch(rl.leaseRequests(), rl.requestsPerMinute()),
            batch(rl.leaseTokens(), rl.tokensPerMinute()));
      } else {
        this.requests = new TokenBucket(rl.requestsPerMinute(), now);
        this.tokens = new TokenBucket(rl.tokensPerMinute(), now);
        this.leases = null;
      }
    }

    /** The batch to lease: as configured, but at most a tenth of the limit, so no node takes it all. */
    private static long batch(long configured, long perMinute) {
      return perMinute <= 0 ? 0 : Math.max(1, Math.min(configured, perMinute / 10));
    }

    /** The tokens a call must find in the lease: its estimate, but never more than the limit. */
    long leaseTokens(long estimate) {
      long tpm = settings.rateLimit().tokensPerMinute();
      return tpm <= 0 ? 0 : Math.min(estimate, tpm);
    }
  }

  private enum Phase { NEW, QUEUED, PACED, RATE_WAIT, IN_FLIGHT, BACKOFF }

  /** A call on its way. Mutable, and only ever touched by this actor. */
  private static final class Call {
    final long id;
    final LlmGateway.Chat chat;
    final AtomicBoolean delivered = new AtomicBoolean(); // a delta reached the caller: never retry
    int targetIndex;
    int attempt = 1; // at the current target
    int attempts; // all targets
    int connectionFailures; // at the current target: attempts the provider never answered (no connection)
    long startedAt; // on the gateway's clock: the call's budget (total-timeout) counts from here
    Phase phase = Phase.NEW;
    long seq; // bumped by every wait and attempt; a timer or completion of an older one is stale
    String slotOf; // the provider whose bulkhead slot it holds
    CircuitBreaker breaker;
    boolean trial; // it is its half-open breaker's trial call
    long rateWaitSince = -1;
    long tokensTaken;
    boolean quotaWaiting; // waits for a cluster lease, with a max-wait timer
    long quotaTokens; // the tokens it needs (waiting) or took (sent) from the lease
    LlmFailure providerFailure; // the last failure a provider itself answered
    CompletableFuture<ChatResponse> inFlight;
    AtomicBoolean deltasOpen = new AtomicBoolean(false);

    Call(long id, LlmGateway.Chat chat) {
      this.id = id;
      this.chat = chat;
    }
  }

  /** With the built-in providers and the named ones of {@code troupe.llm.providers}. */
  public static Behavior<LlmGateway.Command> create(Config troupe) {
    return create(troupe, Providers.forConfig(troupe.getConfig("llm")));
  }

  /** With the given providers by name, e.g. {@link Providers#builtIn()} plus the caller's own. */
  public static Behavior<LlmGateway.Command> create(Config troupe, Map<String, ProviderFactory> factories) {
    return create(troupe, factories, System::nanoTime, new Random()::nextDouble);
  }

  /**
   * For tests and simulations: a nanosecond clock (the token buckets and breakers read it; a test
   * moves it together with ManualTime) and the source of backoff jitter (values in [0, 1)).
   */
  public static Behavior<LlmGateway.Command> create(
      Config troupe, Map<String, ProviderFactory> factories, LongSupplier nanoClock, DoubleSupplier random) {
    Map<String, ProviderFactory> copy = Map.copyOf(factories);
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new LlmGatewayActor(ctx, timers, troupe, copy, nanoClock, random)));
  }

  private final TimerScheduler<LlmGateway.Command> timers;
  private final LlmSettings settings;
  private final Config llmConfig;
  private final Map<String, ProviderFactory> factories;
  private final LongSupplier clock;
  private final DoubleSupplier random;
  private final List<Target> fallbacks;

  private final Map<String, LlmProvider> providers = new HashMap<>(); // empty until an init succeeded
  private final Map<String, Lane> lanes = new HashMap<>();
  private final Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
  private final Map<String, ResilienceSettings> targetSettings = new HashMap<>();
  private final Map<Long, Call> calls = new HashMap<>();
  private final Map<String, Long> callsByKey = new HashMap<>();

  private final boolean clusterSystem;
  private ActorRef<QuotaCoordinator.Command> quota; // the singleton's proxy, once a lane needs it

  private String lastError;
  private long initAttempt;
  private long nextCallId;

  private LlmGatewayActor(
      ActorContext<LlmGateway.Command> ctx,
      TimerScheduler<LlmGateway.Command> timers,
      Config troupe,
      Map<String, ProviderFactory> factories,
      LongSupplier clock,
      DoubleSupplier random) {
    super(ctx);
    this.timers = timers;
    this.settings = LlmSettings.fromConfig(troupe);
    this.llmConfig = troupe.getConfig("llm");
    this.factories = factories;
    this.clock = clock;
    this.random = random;
    this.fallbacks = settings.fallback().stream().map(this::parseFallback).toList();
    String actorProvider = ctx.getSystem().settings().config().getString("pekko.actor.provider");
    this.clusterSystem = actorProvider.equals("cluster")
        || actorProvider.equals("org.apache.pekko.cluster.ClusterActorRefProvider");
  }

  /** {@code provider}, {@code provider/model}, or a model of the primary provider. */
  private Target parseFallback(String entry) {
    if (factories.containsKey(entry)) {
      return new Target(entry, null);
    }
    int slash = entry.indexOf('/');
    if (slash > 0 && factories.containsKey(entry.substring(0, slash))) {
      return new Target(entry.substring(0, slash), entry.substring(slash + 1));
    }
    return new Target(settings.provider(), entry);
  }

  @Override
  public Receive<LlmGateway.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(ProvidersInitialized.class, this::onProvidersInitialized)
        .onMessage(LlmGateway.Chat.class, this::onChat)
        .onMessage(LlmGateway.CancelChat.class, this::onCancelChat)
        .onMessage(LlmGateway.GetStatus.class, this::onGetStatus)
        .onMessage(AttemptDone.class, this::onAttemptDone)
        .onMessage(AttemptTimedOut.class, this::onAttemptTimedOut)
        .onMessage(Resume.class, this::onResume)
        .onMessage(CallTimedOut.class, this::onCallTimedOut)
        .onMessage(RateLimitsObserved.class, this::onRateLimitsObserved)
        .onMessage(LeaseAnswered.class, this::onLeaseAnswered)
        .onMessage(AskLease.class, this::onAskLease)
        .onMessage(QuotaWaitOver.class, this::onQuotaWaitOver)
        .onMessage(PaceTick.class, this::onPaceTick)
        .build();
  }

  // Init: the primary provider must start; a fallback provider that does not is skipped.

  private Behavior<LlmGateway.Command> onInit(Lifecycle.Init init) {
    long attempt = ++initAttempt;
    Set<String> names = new LinkedHashSet<>();
    names.add(settings.provider());
    fallbacks.forEach(t -> names.add(t.provider()));
    // The providers that agents name (troupe.agents.<name>.model.provider) start too, like fallbacks.
    for (AgentSpec agent : Agents.get(getContext().getSystem()).all()) {
      String p = agent.model().provider();
      if (p.isEmpty() || names.contains(p)) continue;
      if (factories.containsKey(p)) names.add(p);
      else getContext().getLog().warn("the agent '{}' names the unknown LLM provider '{}'", agent.name(), p);
    }
    List<String> built = new ArrayList<>();
    List<LlmProvider> instances = new ArrayList<>();
    List<CompletableFuture<Void>> readiness = new ArrayList<>();
    for (String name : names) {
      boolean primary = name.equals(settings.provider());
      ProviderFactory factory = factories.get(name);
      if (factory == null) {
        initFailed(init.replyTo(), "unknown LLM provider '" + name + "'; available: "
            + String.join(", ", new TreeSet<>(factories.keySet())));
        return this;
      }
      try {
        LlmProvider provider = factory.create(getContext().getSystem(), llmConfig);
        CompletionStage<Void> ready = provider.init();
        built.add(name);
        instances.add(provider);
        readiness.add(ready == null ? CompletableFuture.completedFuture(null) : ready.toCompletableFuture());
      } catch (Exception e) {
        String reason = "the LLM provider '" + name + "' could not start: " + Failures.reason(e);
        if (primary) {
          initFailed(init.replyTo(), reason);
          return this;
        }
        getContext().getLog().warn("LLM fallback or agent provider skipped: {}", reason);
      }
    }
    CompletableFuture<?>[] settled = readiness.stream().map(f -> f.handle((ok, error) -> null)).toArray(CompletableFuture[]::new);
    // Until the new providers are ready, the previous ones (if any) keep serving.
    getContext().pipeToSelf(CompletableFuture.allOf(settled),
        (ok, error) -> new ProvidersInitialized(attempt, built, instances, readiness, init.replyTo()));
    return this;
  }

  private Behavior<LlmGateway.Command> onProvidersInitialized(ProvidersInitialized m) {
    boolean latest = m.attempt() == initAttempt;
    Map<String, LlmProvider> ready = new HashMap<>();
    for (int i = 0; i < m.names().size(); i++) {
      String name = m.names().get(i);
      Throwable error = m.readiness().get(i).handle((ok, e) -> e).getNow(null); // already complete
      if (error == null) {
        ready.put(name, m.providers().get(i));
        continue;
      }
      String reason = "the LLM provider '" + name + "' could not start: " + Failures.reason(error);
      if (name.equals(settings.provider())) {
        if (latest) {
          initFailed(m.replyTo(), reason);
        } else {
          m.replyTo().tell(Lifecycle.Initialized.failed(NAME, reason));
        }
        return this;
      }
      getContext().getLog().warn("LLM fallback skipped: {}", reason);
    }
    if (latest) {
      providers.clear();
      providers.putAll(ready);
      lastError = null;
      ready.forEach(this::listenToRateLimits);
      ready.keySet().forEach(this::prefetchLease);
      breaker(new Target(settings.provider(), defaultModel()));
      fallbacks.forEach(this::breaker);
      getContext().getLog().info("LLM gateway ready with provider '{}'{}", settings.provider(),
          fallbacks.isEmpty() ? "" : " and fallbacks " + fallbacks.stream().map(Target::label).toList());
    }
    m.replyTo().tell(Lifecycle.Initialized.ok(NAME));
    return this;
  }

  private void listenToRateLimits(String name, LlmProvider provider) {
    if (provider instanceof RateLimitReporting reporting) {
      ActorRef<LlmGateway.Command> self = getContext().getSelf();
      reporting.onRateLimits(info -> self.tell(new RateLimitsObserved(name, info)));
    }
  }

  private void initFailed(ActorRef<Lifecycle.Initialized> replyTo, String reason) {
    providers.clear();
    lastError = reason;
    getContext().getLog().warn("LLM gateway init failed: {}", reason);
    replyTo.tell(Lifecycle.Initialized.failed(NAME, reason));
  }

  // Calls

  private Behavior<LlmGateway.Command> onChat(LlmGateway.Chat chat) {
    if (!providers.containsKey(settings.provider())) {
      chat.replyTo().tell(LlmGateway.ChatResult.failed(LlmFailure.Code.UNAVAILABLE, Lifecycle.unavailable(NAME, lastError))
          .answering(chat.corr()));
      return this;
    }
    if (chat.request() == null || chat.request().messages().isEmpty()) {
      chat.replyTo().tell(LlmGateway.ChatResult.failed(LlmFailure.Code.INVALID_REQUEST, "the request has no messages")
          .answering(chat.corr()));
      return this;
    }
    Call call = new Call(nextCallId++, chat);
    call.startedAt = clock.getAsLong();
    calls.put(call.id, call);
    if (chat.callKey() != null) {
      callsByKey.put(chat.callKey(), call.id);
    }
    timers.startSingleTimer(new TimerKey("total", call.id), new CallTimedOut(call.id), settings.totalTimeout());
    start(call);
    return this;
  }

  /** The call's current target: its breaker, then a bulkhead slot (or a place in the queue). */
  private void start(Call call) {
    Target target = target(call);
    if (!providers.containsKey(target.provider())) {
      failOver(call, new LlmFailure(LlmFailure.Code.UNAVAILABLE, "the LLM provider '" + target.provider() + "' is not available"));
      return;
    }
    CircuitBreaker breaker = breaker(target);
    long now = clock.getAsLong();
    if (!breaker.tryAcquire(now)) {
      long seconds = Math.max(1, Duration.ofNanos(breaker.nanosUntilHalfOpen(now)).toSeconds());
      failOver(call, new LlmFailure(LlmFailure.Code.UNAVAILABLE, "circuit open for '" + target.label()
          + "' after repeated failures; next trial in " + seconds + " s"));
      return;
    }
    call.breaker = breaker;
    call.trial = breaker.state(now) == LlmGateway.BreakerState.HALF_OPEN;
    Lane lane = lane(target.provider());
    if (lane.bulkhead.tryAcquire()) {
      call.slotOf = target.provider();
      admit(call);
    } else if (lane.bulkhead.enqueue(call.id)) {
      call.phase = Phase.QUEUED;
    } else {
      breakerNeutral(call);
      failOver(call, new LlmFailure(LlmFailure.Code.OVERLOADED, "the gateway queue for provider '" + target.provider()
          + "' is full (" + lane.bulkhead.maxConcurrent() + " calls in flight, " + lane.bulkhead.maxQueued()
          + " waiting); try again later"));
    }
  }

  /** Holding a slot: waits on a timer until the provider's buckets have a request and its tokens. */
  private void admit(Call call) {
    Target target = target(call);
    Lane lane = lane(target.provider());
    if (!providers.containsKey(target.provider())) { // gone with a failed re-init while the call waited
      releaseSlot(call);
      breakerNeutral(call);
      failOver(call, new LlmFailure(LlmFailure.Code.UNAVAILABLE, "the LLM provider '" + target.provider() + "' is not available"));
      return;
    }
    long now = clock.getAsLong();
    if (call.phase != Phase.PACED && !lane.paced.isEmpty() || lane.pacer.nanosUntilSend(now) > 0) {
      // A new connection would be needed and none may be opened yet: in line for the next permit.
      if (call.phase != Phase.PACED) {
        call.phase = Phase.PACED;
        call.seq++;
        lane.paced.addLast(call.id);
      }
      schedulePace(target.provider(), lane, now);
      return;
    }
    if (call.phase == Phase.PACED) {
      call.phase = Phase.NEW;
      call.seq++;
    }
    long estimate = TokenEstimate.of(call.chat.request(), lane.settings.rateLimit().charsPerToken());
    long wait = Math.max(lane.requests.nanosUntil(1, now), lane.tokens.nanosUntil(estimate, now));
    if (wait <= 0 && lane.leases != null) {
      long leaseTokens = lane.leaseTokens(estimate);
      if (!lane.leases.tryTake(leaseTokens, now)) {
        waitForLease(call, lane, target, leaseTokens, now);
        return;
      }
      call.quotaTokens = leaseTokens;
      endQuotaWait(call);
      if (lane.leases.low(now)) {
        askLease(target.provider(), lane, lane.leases.limitsTokens() ? 1 : 0); // the next batch, before it is needed
      }
    }
    if (wait <= 0) {
      lane.requests.take(1, now);
      lane.tokens.take(estimate, now);
      call.tokensTaken = estimate;
      call.rateWaitSince = -1;
      send(call, target);
      return;
    }
    if (call.rateWaitSince < 0) {
      call.rateWaitSince = now;
    }
    Duration maxWait = lane.settings.rateLimit().maxWait();
    if (now - call.rateWaitSince + wait > maxWait.toNanos()) {
      releaseSlot(call);
      breakerNeutral(call);
      call.rateWaitSince = -1;
      failOver(call, new LlmFailure(LlmFailure.Code.RATE_LIMITED, "the rate limit of provider '" + target.provider()
          + "' would hold the call for " + Duration.ofNanos(wait).toMillis() + " ms, longer than the gateway waits ("
          + maxWait.toMillis() + " ms); try again later"));
      return;
    }
    call.phase = Phase.RATE_WAIT;
    call.seq++;
    timers.startSingleTimer(new TimerKey("resume", call.id), new Resume(call.id, call.seq), Duration.ofNanos(wait));
  }

  /** The lane's pace timer fires when its pacer has the next permit (one timer per lane, not per call). */
  private void schedulePace(String provider, Lane lane, long now) {
    PaceTimerKey key = new PaceTimerKey(provider);
    if (lane.paced.isEmpty() || timers.isTimerActive(key)) {
      return;
    }
    long wait = Math.max(lane.pacer.nanosUntilSend(now), Duration.ofMillis(1).toNanos());
    timers.startSingleTimer(key, new PaceTick(provider), Duration.ofNanos(wait));
  }

  private Behavior<LlmGateway.Command> onPaceTick(PaceTick m) {
    Lane lane = lanes.get(m.provider());
    if (lane != null) {
      pumpPaced(m.provider(), lane);
    }
    return this;
  }

  /** Sends the paced calls, in the order they came, while the pacer lets them go. */
  private void pumpPaced(String provider, Lane lane) {
    if (lane.pacing) {
      return;
    }
    lane.pacing = true;
    try {
      while (!lane.paced.isEmpty() && lane.pacer.nanosUntilSend(clock.getAsLong()) == 0) {
        Call call = calls.get(lane.paced.pollFirst());
        if (call != null && call.phase == Phase.PACED) {
          admit(call);
        }
      }
    } finally {
      lane.pacing = false;
    }
    schedulePace(provider, lane, clock.getAsLong());
  }

  private void send(Call call, Target target) {
    LlmProvider provider = providers.get(target.provider());
    lane(target.provider()).pacer.onSend(clock.getAsLong());
    call.phase = Phase.IN_FLIGHT;
    call.seq++;
    call.attempts++;
    long seq = call.seq;
    AtomicBoolean open = new AtomicBoolean(true);
    call.deltasOpen = open;
    AtomicBoolean delivered = call.delivered;
    ActorRef<ChatDelta> deltaTo = call.chat.deltaTo();
    Consumer<ChatDelta> onDelta = deltaTo == null ? d -> {} : d -> {
      if (open.get()) {
        delivered.set(true);
        deltaTo.tell(d);
      }
    };
    // The timer starts before the provider is called, so a test can rely on it once the call began.
    timers.startSingleTimer(new TimerKey("attempt", call.id), new AttemptTimedOut(call.id, seq), settings.callTimeout());
    CompletionStage<ChatResponse> stage;
    try {
      stage = provider.chat(request(call, target), onDelta);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(new IllegalStateException("the provider returned no result"));
      }
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    try {
      call.inFlight = stage.toCompletableFuture();
    } catch (UnsupportedOperationException e) {
      call.inFlight = null; // cannot be cancelled; its late result is dropped all the same
    }
    long id = call.id;
    getContext().pipeToSelf(stage, (response, error) -> new AttemptDone(id, seq, response, error));
  }

  /** The request for a target: its model (or the configured default for the primary), and streaming. */
  private ChatRequest request(Call call, Target target) {
    ChatRequest r = call.chat.request();
    String model = call.targetIndex == 0 && chosenProvider(r) == null ? primaryModel(r) : target.model();
    boolean stream = r.stream() || (settings.stream() && call.chat.deltaTo() != null);
    if (Objects.equals(model, r.model()) && stream == r.stream()) {
      return r;
    }
    return r.with(model, stream);
  }

  private String primaryModel(ChatRequest r) {
    boolean noModel = r.model() == null || r.model().isBlank();
    return noModel ? defaultModel() : r.model();
  }

  private String defaultModel() {
    return settings.model().isEmpty() ? null : settings.model();
  }

  /**
   * The provider a request names (an agent's {@code model.provider}) when it is not the primary: the
   * call goes to it, with the request's model or that provider's default, then down the fallback chain.
   */
  private String chosenProvider(ChatRequest r) {
    return r.provider() == null || r.provider().equals(settings.provider()) ? null : r.provider();
  }

  private Target target(Call call) {
    if (call.targetIndex == 0) {
      String chosen = chosenProvider(call.chat.request());
      if (chosen != null) {
        String model = call.chat.request().model();
        return new Target(chosen, model == null || model.isBlank() ? null : model);
      }
      return new Target(settings.provider(), primaryModel(call.chat.request()));
    }
    return fallbacks.get(call.targetIndex - 1);
  }

  private Behavior<LlmGateway.Command> onAttemptDone(AttemptDone m) {
    Call call = calls.get(m.callId());
    if (call == null || call.phase != Phase.IN_FLIGHT || call.seq != m.seq()) {
      return this; // answered, cancelled, or timed out already
    }
    Target target = target(call);
    endAttempt(call);
    if (m.error() == null && m.response() != null && m.response().message() != null) {
      succeeded(call, target, m.response());
      return this;
    }
    if (m.error() == null) {
      attemptFailed(call, target, new LlmFailure(LlmFailure.Code.PROVIDER_ERROR,
          "the provider '" + target.provider() + "' returned an empty response"), null);
      return this;
    }
    Throwable cause = Failures.unwrap(m.error());
    LlmException providerError = cause instanceof LlmException e ? e : null;
    if (providerError != null && providerError.contentDelivered()) {
      call.delivered.set(true);
    }
    boolean connection = providerError != null ? providerError.connection()
        : !call.delivered.get() && ProviderErrors.isConnectionFailure(cause);
    if (connection) {
      connectionFailed(call, target, Failures.from(m.error(), target.provider()));
      return this;
    }
    attemptFailed(call, target, Failures.from(m.error(), target.provider()), providerError);
    return this;
  }

  private Behavior<LlmGateway.Command> onAttemptTimedOut(AttemptTimedOut m) {
    Call call = calls.get(m.callId());
    if (call == null || call.phase != Phase.IN_FLIGHT || call.seq != m.seq()) {
      return this;
    }
    Target target = target(call);
    abortInFlight(call);
    endAttempt(call);
    attemptFailed(call, target, new LlmFailure(LlmFailure.Code.TIMEOUT,
        "the model call to '" + target.provider() + "' timed out after " + settings.callTimeout().toMillis() + " ms"), null);
    return this;
  }

  /** The attempt is over: no more deltas from it, and its slot goes to the next call in the queue. */
  private void endAttempt(Call call) {
    timers.cancel(new TimerKey("attempt", call.id));
    call.deltasOpen.set(false);
    call.inFlight = null;
    call.phase = Phase.NEW;
    call.seq++;
    String provider = target(call).provider();
    Lane lane = lane(provider);
    lane.pacer.onDone();
    releaseSlot(call);
    if (!lane.paced.isEmpty()) {
      pumpPaced(provider, lane); // its connection is free again: a paced call may take it
    }
  }

  private void succeeded(Call call, Target target, ChatResponse response) {
    long now = clock.getAsLong();
    if (call.breaker.state(now) == LlmGateway.BreakerState.HALF_OPEN) {
      getContext().getLog().info("circuit closed again for '{}'", target.label());
    }
    call.breaker.onSuccess(now);
    Usage usage = response.usage() == null ? Usage.ZERO : response.usage();
    Lane lane = lane(target.provider());
    if (usage.totalTokens() > 0) {
      lane.tokens.adjust(usage.totalTokens() - call.tokensTaken, now);
      if (lane.leases != null) {
        lane.leases.settle(usage.totalTokens() - call.quotaTokens, now);
      }
    }
    String model = response.model() != null ? response.model() : target.model();
    var cost = settings.pricing().cost(model, usage);
    ChatResponse priced = cost.isPresent() && response.usage() != null
        ? new ChatResponse(response.message(), usage.withCost(cost.getAsDouble()), response.finishReason(),
            response.model(), response.provider())
        : response;
    reply(call, LlmGateway.ChatResult.ok(priced));
  }

  private void attemptFailed(Call call, Target target, LlmFailure failure, LlmException providerError) {
    long now = clock.getAsLong();
    Lane lane = lane(target.provider());
    RateLimits limits = providerError == null ? RateLimits.NONE : RateLimits.of(providerError.rateLimit(), Instant.now());
    Duration retryAfter = limits.retryAfter();
    if (lane.settings.rateLimit().adaptToHeaders()) {
      adapt(lane, limits, now);
      if (failure.code() == LlmFailure.Code.RATE_LIMITED && retryAfter != null) {
        lane.requests.blockFor(retryAfter, now); // the whole provider pauses, not only this call
      }
    }
    if (countsAgainstBreaker(failure.code())) {
      boolean wasOpen = call.breaker.state(now) == LlmGateway.BreakerState.OPEN;
      call.breaker.onFailure(now);
      if (!wasOpen && call.breaker.state(now) == LlmGateway.BreakerState.OPEN) {
        try (var ids = mdc(call)) {
          getContext().getLog().warn("circuit opened for '{}' after {}: {}", target.label(), failure.code(), failure.message());
        }
      }
    } else {
      breakerNeutral(call);
    }
    call.providerFailure = failure;
    try (var ids = mdc(call)) {
      getContext().getLog().debug("model call {} to {} failed (attempt {}): {} {}",
          call.id, target.label(), call.attempt, failure.code(), failure.message());
    }
    if (call.delivered.get()) {
      reply(call, LlmGateway.ChatResult.failed(failure.code(), failure.message())); // content reached the caller
      return;
    }
    ResilienceSettings.RetrySettings retry = resilience(target).retry();
    boolean waitTooLong = retryAfter != null && retryAfter.compareTo(retry.maxRetryAfter()) > 0;
    if (retryable(failure.code()) && call.attempt < retry.maxAttempts() && !waitTooLong) {
      Duration delay = Backoff.delay(retry, call.attempt + 1, retryAfter, random);
      call.attempt++;
      call.phase = Phase.BACKOFF;
      call.seq++;
      timers.startSingleTimer(new TimerKey("resume", call.id), new Resume(call.id, call.seq), delay);
      return;
    }
    failOver(call, failure);
  }

  /**
   * The provider never answered this attempt: no connection could be opened, the pool had no room,
   * or the connection broke before a response head. That says nothing about the provider's health,
   * so the breaker does not count it, and it does not use up the call's retries: the call tries
   * again after a backoff for as long as its budget (total-timeout) leaves room. A call with a
   * fallback moves on to it after max-attempts such failures instead.
   */
  private void connectionFailed(Call call, Target target, LlmFailure failure) {
    breakerNeutral(call);
    call.connectionFailures++;
    call.providerFailure = failure;
    ResilienceSettings.RetrySettings retry = resilience(target).retry();
    Duration delay = Backoff.delay(retry, Math.min(call.connectionFailures + 1, 64), null, random);
    long left = settings.totalTimeout().toNanos() - (clock.getAsLong() - call.startedAt);
    boolean fallback = call.targetIndex < fallbacks.size() && call.connectionFailures >= retry.maxAttempts();
    try (var ids = mdc(call)) {
      getContext().getLog().debug("model call {} to {}: no connection ({} so far): {}",
          call.id, target.label(), call.connectionFailures, failure.message());
    }
    if (fallback || delay.toNanos() >= left) {
      failOver(call, failure);
      return;
    }
    call.phase = Phase.BACKOFF;
    call.seq++;
    timers.startSingleTimer(new TimerKey("resume", call.id), new Resume(call.id, call.seq), delay);
  }

  /** The intent's ids in the MDC of a log line about one of its calls. */
  private static io.troupe.core.trace.CallMdc mdc(Call call) {
    return io.troupe.core.trace.CallMdc.of(io.troupe.core.trace.CallMdc.intentOfCallKey(call.chat.callKey()),
        call.chat.request().traceparent());
  }

  /** The next target of the fallback chain, or the failure as the answer. */
  private void failOver(Call call, LlmFailure failure) {
    boolean canFallBack = retryable(failure.code()) || failure.code() == LlmFailure.Code.UNAVAILABLE;
    if (canFallBack && !call.delivered.get() && call.targetIndex < fallbacks.size()) {
      Target from = target(call);
      call.targetIndex++;
      call.attempt = 1;
      call.connectionFailures = 0;
      call.rateWaitSince = -1;
      try (var ids = mdc(call)) {
        getContext().getLog().debug("model call {} falls back from {} to {}: {}", call.id, from.label(),
            target(call).label(), failure.code());
      }
      start(call);
      return;
    }
    // A fallback that could not even be tried says less than the provider that failed before it.
    LlmFailure answer = failure.code() == LlmFailure.Code.UNAVAILABLE && call.providerFailure != null
        ? call.providerFailure
        : failure;
    reply(call, LlmGateway.ChatResult.failed(answer.code(), Failures.safe(answer.message())));
  }

  private Behavior<LlmGateway.Command> onResume(Resume m) {
    Call call = calls.get(m.callId());
    if (call == null || call.seq != m.seq()) {
      return this;
    }
    if (call.phase == Phase.RATE_WAIT) {
      admit(call);
    } else if (call.phase == Phase.BACKOFF) {
      start(call);
    }
    return this;
  }

  private Behavior<LlmGateway.Command> onCallTimedOut(CallTimedOut m) {
    Call call = calls.get(m.callId());
    if (call != null) {
      Target target = target(call);
      abort(call);
      reply(call, LlmGateway.ChatResult.failed(LlmFailure.Code.TIMEOUT, "the model call to '" + target.provider()
          + "' timed out after " + settings.totalTimeout().toMillis() + " ms (" + call.attempts + " attempts)"));
    }
    return this;
  }

  private Behavior<LlmGateway.Command> onCancelChat(LlmGateway.CancelChat m) {
    Long id = m.callKey() == null ? null : callsByKey.get(m.callKey());
    Call call = id == null ? null : calls.get(id);
    if (call != null) {
      try (var ids = mdc(call)) {
        getContext().getLog().debug("model call {} cancelled", call.id);
      }
      abort(call);
      forget(call); // no reply: the caller is gone
    }
    return this;
  }

  /** Stops whatever the call is doing: the provider request, a timer, its slot or its place in the queue. */
  private void abort(Call call) {
    timers.cancel(new TimerKey("resume", call.id));
    endQuotaWait(call);
    switch (call.phase) {
      case IN_FLIGHT -> {
        abortInFlight(call);
        endAttempt(call);
      }
      case RATE_WAIT -> releaseSlot(call);
      case PACED -> {
        lane(target(call).provider()).paced.remove(call.id);
        releaseSlot(call);
      }
      case QUEUED -> lane(target(call).provider()).bulkhead.removeQueued(call.id);
      default -> {}
    }
    breakerNeutral(call);
    call.phase = Phase.NEW;
    call.seq++;
  }

  /** Cancelling the provider's future aborts its HTTP request (the providers' convention). */
  private static void abortInFlight(Call call) {
    CompletableFuture<ChatResponse> f = call.inFlight;
    if (f != null && !f.isDone()) {
      f.cancel(true);
    }
  }

  private void reply(Call call, LlmGateway.ChatResult result) {
    forget(call);
    call.chat.replyTo().tell(result.answering(call.chat.corr()));
  }

  private void forget(Call call) {
    calls.remove(call.id);
    if (call.chat.callKey() != null) {
      callsByKey.remove(call.chat.callKey(), call.id);
    }
    call.deltasOpen.set(false);
    timers.cancel(new TimerKey("total", call.id));
    timers.cancel(new TimerKey("resume", call.id));
    timers.cancel(new TimerKey("attempt", call.id));
    endQuotaWait(call);
  }

  private void releaseSlot(Call call) {
    if (call.slotOf == null) {
      return;
    }
    String provider = call.slotOf;
    call.slotOf = null;
    Lane lane = lane(provider);
    lane.bulkhead.release();
    if (lane.pumping) {
      return; // the loop below, further up the stack, hands this slot on
    }
    lane.pumping = true;
    try {
      OptionalLong next;
      while ((next = lane.bulkhead.admitNext()).isPresent()) {
        Call waiting = calls.get(next.getAsLong());
        if (waiting == null || waiting.phase != Phase.QUEUED) {
          lane.bulkhead.release();
          continue;
        }
        waiting.slotOf = provider;
        admit(waiting);
      }
    } finally {
      lane.pumping = false;
    }
  }

  private void breakerNeutral(Call call) {
    if (call.trial && call.breaker != null) {
      call.breaker.onNeutral();
    }
    call.trial = false;
  }

  private static boolean retryable(LlmFailure.Code code) {
    return switch (code) {
      case RATE_LIMITED, OVERLOADED, PROVIDER_ERROR, TIMEOUT -> true;
      default -> false;
    };
  }

  /** Failures that say the provider is unhealthy; 429 and the caller's own errors do not. */
  private static boolean countsAgainstBreaker(LlmFailure.Code code) {
    return switch (code) {
      case OVERLOADED, PROVIDER_ERROR, TIMEOUT -> true;
      default -> false;
    };
  }

  // Rate-limit headers

  private Behavior<LlmGateway.Command> onRateLimitsObserved(RateLimitsObserved m) {
    Lane lane = lane(m.provider());
    if (lane.settings.rateLimit().adaptToHeaders()) {
      adapt(lane, RateLimits.of(m.info(), Instant.now()), clock.getAsLong());
    }
    return this;
  }

  private static void adapt(Lane lane, RateLimits limits, long now) {
    if (limits.isEmpty()) {
      return;
    }
    lane.requests.adapt(limits.requestsLimit(), limits.requestsRemaining(), limits.requestsReset(), now);
    lane.tokens.adapt(limits.tokensLimit(), limits.tokensRemaining(), limits.tokensReset(), now);
  }

  // Cluster quota: leases of the coordinator's permits

  /** A provider with a cluster quota gets its first lease at start, so the first calls need not wait for it. */
  private void prefetchLease(String provider) {
    Lane lane = lane(provider);
    if (lane.leases != null && lane.leases.low(clock.getAsLong())) {
      askLease(provider, lane, lane.leases.limitsTokens() ? 1 : 0);
    }
  }

  /** No permit in the lease: the call waits (holding its slot) for the next one, at most max-wait. */
  private void waitForLease(Call call, Lane lane, Target target, long leaseTokens, long now) {
    if (call.rateWaitSince < 0) {
      call.rateWaitSince = now;
    }
    Duration maxWait = lane.settings.rateLimit().maxWait();
    long waited = now - call.rateWaitSince;
    if (lane.denied && waited + Math.max(0, lane.deniedUntil - now) > maxWait.toNanos()) {
      quotaExhausted(call, target, Duration.ofNanos(Math.max(0, lane.deniedUntil - now)));
      return;
    }
    call.phase = Phase.RATE_WAIT;
    call.seq++;
    call.quotaTokens = leaseTokens;
    if (!call.quotaWaiting) {
      call.quotaWaiting = true;
      Duration left = maxWait.minusNanos(Math.max(0, waited));
      timers.startSingleTimer(new TimerKey("quota", call.id), new QuotaWaitOver(call.id),
          left.isNegative() ? Duration.ZERO : left);
    }
    lane.quotaWaiters.add(call.id);
    askLease(target.provider(), lane, shortfall(lane, leaseTokens, now));
  }

  private static long shortfall(Lane lane, long leaseTokens, long now) {
    if (!lane.leases.limitsTokens()) {
      return 0;
    }
    long have = lane.leases.tokens(now);
    return Math.max(1, leaseTokens - Math.max(0, have));
  }

  private void endQuotaWait(Call call) {
    if (call.quotaWaiting) {
      call.quotaWaiting = false;
      timers.cancel(new TimerKey("quota", call.id));
    }
  }

  /**
   * Asks the coordinator for the next batch, unless a request is already on its way, a retry is
   * scheduled, or the coordinator said there is nothing yet (then the retry timer asks).
   */
  private void askLease(String provider, Lane lane, long minTokens) {
    if (lane.leaseAsked || lane.denied || timers.isTimerActive(new LeaseTimerKey(provider))) {
      return;
    }
    if (quota == null) {
      quota = QuotaCoordinator.initSingleton(getContext().getSystem(), clock);
    }
    ResilienceSettings.RateLimitSettings rl = lane.settings.rateLimit();
    long no = ++lane.leaseAskNo;
    lane.leaseAsked = true;
    long requests = Math.max(1, lane.leases.batchRequests());
    long tokens = Math.max(lane.leases.batchTokens(), minTokens);
    Asks.ask(getContext(), QuotaCoordinator.Lease.class, quota, rl.leaseTimeout(),
        replyTo -> new QuotaCoordinator.RequestLease(provider, rl.requestsPerMinute(), rl.tokensPerMinute(), requests,
            tokens, minTokens, replyTo),
        (lease, error) -> new LeaseAnswered(provider, no, lease, error));
  }

  private Behavior<LlmGateway.Command> onLeaseAnswered(LeaseAnswered m) {
    Lane lane = lanes.get(m.provider());
    if (lane == null || lane.leases == null || m.no() != lane.leaseAskNo) {
      return this;
    }
    lane.leaseAsked = false;
    long now = clock.getAsLong();
    if (m.error() != null || m.lease() == null) {
      // The coordinator is out of reach (e.g. the singleton is moving): the waiting calls keep
      // waiting, at most max-wait, and the lease is asked for again shortly.
      getContext().getLog().debug("no answer from the LLM quota coordinator for '{}': {}", m.provider(),
          m.error() == null ? "empty answer" : m.error().getMessage());
      if (!lane.quotaWaiters.isEmpty()) {
        timers.startSingleTimer(new LeaseTimerKey(m.provider()), new AskLease(m.provider()), LEASE_RETRY);
      }
      return this;
    }
    QuotaCoordinator.Lease lease = m.lease();
    if (lease.granted()) {
      lane.denied = false;
      lane.leases.add(lease.requests(), lease.tokens(), now + lane.settings.rateLimit().leaseTtl().toNanos(), now);
      pumpQuotaWaiters(lane);
      return this;
    }
    Duration retryAfter = Duration.ofMillis(lease.retryAfterMillis());
    lane.denied = true;
    lane.deniedUntil = now + retryAfter.toNanos();
    long maxWait = lane.settings.rateLimit().maxWait().toNanos();
    for (Long id : new ArrayList<>(lane.quotaWaiters)) {
      Call call = calls.get(id);
      if (call == null || !call.quotaWaiting) {
        lane.quotaWaiters.remove(id);
      } else if (now - call.rateWaitSince + retryAfter.toNanos() > maxWait) {
        lane.quotaWaiters.remove(id);
        quotaExhausted(call, target(call), retryAfter);
      }
    }
    timers.startSingleTimer(new LeaseTimerKey(m.provider()), new AskLease(m.provider()), retryAfter);
    return this;
  }

  private Behavior<LlmGateway.Command> onAskLease(AskLease m) {
    Lane lane = lanes.get(m.provider());
    if (lane == null || lane.leases == null) {
      return this;
    }
    lane.denied = false;
    lane.quotaWaiters.removeIf(id -> calls.get(id) == null || !calls.get(id).quotaWaiting);
    if (!lane.quotaWaiters.isEmpty()) {
      Call first = calls.get(lane.quotaWaiters.iterator().next());
      askLease(m.provider(), lane, shortfall(lane, first.quotaTokens, clock.getAsLong()));
    }
    return this;
  }

  /** A lease arrived: the waiting calls try again, in the order they came. */
  private void pumpQuotaWaiters(Lane lane) {
    List<Long> waiting = new ArrayList<>(lane.quotaWaiters);
    lane.quotaWaiters.clear();
    for (Long id : waiting) {
      Call call = calls.get(id);
      if (call != null && call.quotaWaiting && call.phase == Phase.RATE_WAIT) {
        admit(call); // sends it, or puts it back in line
      }
    }
  }

  private Behavior<LlmGateway.Command> onQuotaWaitOver(QuotaWaitOver m) {
    Call call = calls.get(m.callId());
    if (call == null || !call.quotaWaiting || call.phase != Phase.RATE_WAIT) {
      return this;
    }
    Target target = target(call);
    Lane lane = lane(target.provider());
    lane.quotaWaiters.remove(call.id);
    quotaExhausted(call, target, lane.denied ? Duration.ofNanos(Math.max(0, lane.deniedUntil - clock.getAsLong())) : null);
    return this;
  }

  /** The call gets no permit of the cluster quota within max-wait: RATE_LIMITED, as with a local bucket. */
  private void quotaExhausted(Call call, Target target, Duration nextPermit) {
    endQuotaWait(call);
    releaseSlot(call);
    breakerNeutral(call);
    call.rateWaitSince = -1;
    Duration maxWait = lane(target.provider()).settings.rateLimit().maxWait();
    String why = nextPermit == null
        ? "no lease of the cluster-wide rate limit of provider '" + target.provider() + "' arrived within "
            + maxWait.toMillis() + " ms (the quota coordinator may be moving)"
        : "the cluster-wide rate limit of provider '" + target.provider() + "' has no permit for "
            + nextPermit.toMillis() + " ms, longer than the gateway waits (" + maxWait.toMillis() + " ms)";
    failOver(call, new LlmFailure(LlmFailure.Code.RATE_LIMITED, why + "; try again later"));
  }

  // Status, for readiness

  private Behavior<LlmGateway.Command> onGetStatus(LlmGateway.GetStatus m) {
    long now = clock.getAsLong();
    List<LlmGateway.TargetStatus> out = new ArrayList<>();
    breakers.forEach((label, breaker) -> {
      int slash = label.indexOf('/');
      String provider = label.substring(0, slash);
      Lane lane = lanes.get(provider);
      out.add(new LlmGateway.TargetStatus(provider, label.substring(slash + 1), breaker.state(now),
          providers.containsKey(provider), lane == null ? 0 : lane.bulkhead.active(),
          lane == null ? 0 : lane.bulkhead.queued()));
    });
    m.replyTo().tell(new LlmGateway.Status(out));
    return this;
  }

  // Per provider and per model state, created on first use

  private Lane lane(String provider) {
    Lane lane = lanes.get(provider);
    if (lane == null) {
      ResilienceSettings rs = ResilienceSettings.of(settings.resilience(), provider, null);
      ResilienceSettings.Scope scope = ResilienceSettings.effectiveScope(rs.rateLimit(), clusterSystem);
      if (!clusterSystem && rs.rateLimit().scope() == ResilienceSettings.Scope.CLUSTER && rs.rateLimit().hasStaticLimit()) {
        getContext().getLog().warn("rate-limit.scope = cluster for provider '{}', but this actor system is not a "
            + "cluster: its limit applies to this node alone", provider);
      }
      lane = new Lane(rs, clock.getAsLong(), scope == ResilienceSettings.Scope.CLUSTER);
      lanes.put(provider, lane);
    }
    return lane;
  }

  private CircuitBreaker breaker(Target target) {
    return breakers.computeIfAbsent(target.label(), l -> new CircuitBreaker(resilience(target).breaker()));
  }

  private ResilienceSettings resilience(Target target) {
    return targetSettings.computeIfAbsent(target.label(),
        l -> ResilienceSettings.of(settings.resilience(), target.provider(), target.model()));
  }
}
