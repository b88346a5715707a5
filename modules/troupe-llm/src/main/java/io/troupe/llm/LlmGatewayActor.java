package io.troupe.llm;

import com.typesafe.config.Config;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.runtime.Subsystems;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The LLM gateway subsystem. On {@link Lifecycle.Init} it builds the configured provider and
 * waits for its {@code init()}; then it forwards every {@link LlmGateway.Chat} to it, times the
 * call out after {@code troupe.llm.call-timeout}, maps failures to a typed {@link LlmFailure} and
 * answers with a {@link LlmGateway.ChatResult}. Deltas go from the provider straight to
 * {@code deltaTo}, on whatever thread produces them.
 *
 * <p>Many calls are in flight at once; the actor never waits on one. {@link #dispatch} is the one
 * place where a call leaves for a provider: the resilience layer (bulkheads, rate limits, retries,
 * circuit breaker) goes there.
 */
public final class LlmGatewayActor extends AbstractBehavior<LlmGateway.Command> {

  /** The subsystem name used in readiness and errors. */
  public static final String NAME = Subsystems.LLM;

  private record ProviderInitialized(
      long attempt, String name, LlmProvider provider, Throwable error, ActorRef<Lifecycle.Initialized> replyTo)
      implements LlmGateway.Command {}

  private record CallCompleted(long callId, ChatResponse response, Throwable error) implements LlmGateway.Command {}

  private record CallTimedOut(long callId) implements LlmGateway.Command {}

  /** A call on its way; {@code open} stops late deltas once the call is answered. */
  private record InFlight(LlmGateway.Chat chat, String provider, AtomicBoolean open) {}

  public static Behavior<LlmGateway.Command> create(Config troupe) {
    return create(troupe, Providers.builtIn());
  }

  /** With the given providers by name, e.g. {@link Providers#builtIn()} plus the caller's own. */
  public static Behavior<LlmGateway.Command> create(Config troupe, Map<String, ProviderFactory> factories) {
    Map<String, ProviderFactory> copy = Map.copyOf(factories);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LlmGatewayActor(ctx, timers, troupe, copy)));
  }

  private final TimerScheduler<LlmGateway.Command> timers;
  private final LlmSettings settings;
  private final Config llmConfig;
  private final Map<String, ProviderFactory> factories;
  private final Map<Long, InFlight> inFlight = new HashMap<>();

  private LlmProvider active; // null until an init succeeded
  private String lastError;
  private long initAttempt;
  private long nextCallId;

  private LlmGatewayActor(
      ActorContext<LlmGateway.Command> ctx,
      TimerScheduler<LlmGateway.Command> timers,
      Config troupe,
      Map<String, ProviderFactory> factories) {
    super(ctx);
    this.timers = timers;
    this.settings = LlmSettings.fromConfig(troupe);
    this.llmConfig = troupe.getConfig("llm");
    this.factories = factories;
  }

  @Override
  public Receive<LlmGateway.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(ProviderInitialized.class, this::onProviderInitialized)
        .onMessage(LlmGateway.Chat.class, this::onChat)
        .onMessage(CallCompleted.class, this::onCallCompleted)
        .onMessage(CallTimedOut.class, this::onCallTimedOut)
        .build();
  }

  private Behavior<LlmGateway.Command> onInit(Lifecycle.Init init) {
    long attempt = ++initAttempt;
    String name = settings.provider();
    ProviderFactory factory = factories.get(name);
    if (factory == null) {
      initFailed(init.replyTo(), "unknown LLM provider '" + name + "'; available: " + String.join(", ", new TreeSet<>(factories.keySet())));
      return this;
    }
    LlmProvider provider;
    CompletionStage<Void> ready;
    try {
      provider = factory.create(getContext().getSystem(), llmConfig);
      ready = provider.init();
    } catch (Exception e) {
      initFailed(init.replyTo(), "the LLM provider '" + name + "' could not start: " + Failures.reason(e));
      return this;
    }
    // Until the new provider is ready, the previous one (if any) keeps serving.
    getContext().pipeToSelf(ready, (ok, error) -> new ProviderInitialized(attempt, name, provider, error, init.replyTo()));
    return this;
  }

  private Behavior<LlmGateway.Command> onProviderInitialized(ProviderInitialized m) {
    boolean latest = m.attempt() == initAttempt;
    if (m.error() != null) {
      String reason = "the LLM provider '" + m.name() + "' could not start: " + Failures.reason(m.error());
      if (latest) {
        initFailed(m.replyTo(), reason);
      } else {
        m.replyTo().tell(Lifecycle.Initialized.failed(NAME, reason));
      }
      return this;
    }
    if (latest) {
      active = m.provider();
      lastError = null;
      getContext().getLog().info("LLM gateway ready with provider '{}'", m.name());
    }
    m.replyTo().tell(Lifecycle.Initialized.ok(NAME));
    return this;
  }

  private void initFailed(ActorRef<Lifecycle.Initialized> replyTo, String reason) {
    active = null;
    lastError = reason;
    getContext().getLog().warn("LLM gateway init failed: {}", reason);
    replyTo.tell(Lifecycle.Initialized.failed(NAME, reason));
  }

  private Behavior<LlmGateway.Command> onChat(LlmGateway.Chat chat) {
    if (active == null) {
      chat.replyTo().tell(LlmGateway.ChatResult.failed(LlmFailure.Code.UNAVAILABLE, Lifecycle.unavailable(NAME, lastError)));
      return this;
    }
    if (chat.request() == null || chat.request().messages().isEmpty()) {
      chat.replyTo().tell(LlmGateway.ChatResult.failed(LlmFailure.Code.INVALID_REQUEST, "the request has no messages"));
      return this;
    }
    dispatch(chat, active);
    return this;
  }

  /** Sends one call to a provider. The later resilience layer wraps this step. */
  private void dispatch(LlmGateway.Chat chat, LlmProvider provider) {
    long callId = nextCallId++;
    AtomicBoolean open = new AtomicBoolean(true);
    inFlight.put(callId, new InFlight(chat, provider.name(), open));
    // The timer starts before the provider is called, so a test can rely on it once the call began.
    timers.startSingleTimer(callId, new CallTimedOut(callId), settings.callTimeout());

    ActorRef<ChatDelta> deltaTo = chat.deltaTo();
    Consumer<ChatDelta> onDelta = deltaTo == null ? d -> {} : d -> {
      if (open.get()) deltaTo.tell(d);
    };
    CompletionStage<ChatResponse> stage;
    try {
      stage = provider.chat(effective(chat), onDelta);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(new IllegalStateException("the provider returned no result"));
      }
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    getContext().pipeToSelf(stage, (response, error) -> new CallCompleted(callId, response, error));
  }

  /** Fills in the configured default model and streaming. */
  private ChatRequest effective(LlmGateway.Chat chat) {
    ChatRequest r = chat.request();
    boolean noModel = r.model() == null || r.model().isBlank();
    String model = noModel && !settings.model().isEmpty() ? settings.model() : r.model();
    boolean stream = r.stream() || (settings.stream() && chat.deltaTo() != null);
    if (java.util.Objects.equals(model, r.model()) && stream == r.stream()) {
      return r;
    }
    return new ChatRequest(model, r.messages(), r.tools(), r.maxOutputTokens(), stream);
  }

  private Behavior<LlmGateway.Command> onCallCompleted(CallCompleted m) {
    InFlight call = inFlight.remove(m.callId());
    if (call == null) {
      return this; // already answered with a timeout
    }
    timers.cancel(m.callId());
    call.open().set(false);
    LlmGateway.ChatResult result;
    if (m.error() != null) {
      LlmFailure failure = Failures.from(m.error(), call.provider());
      getContext().getLog().debug("model call failed: {} {}", failure.code(), failure.message());
      result = LlmGateway.ChatResult.failed(failure.code(), failure.message());
    } else if (m.response() == null || m.response().message() == null) {
      result = LlmGateway.ChatResult.failed(LlmFailure.Code.PROVIDER_ERROR,
          "the provider '" + call.provider() + "' returned an empty response");
    } else {
      result = LlmGateway.ChatResult.ok(m.response());
    }
    call.chat().replyTo().tell(result);
    return this;
  }

  private Behavior<LlmGateway.Command> onCallTimedOut(CallTimedOut m) {
    InFlight call = inFlight.remove(m.callId());
    if (call != null) {
      call.open().set(false);
      call.chat().replyTo().tell(LlmGateway.ChatResult.failed(LlmFailure.Code.TIMEOUT,
          "the model call to '" + call.provider() + "' timed out after " + settings.callTimeout().toMillis() + " ms"));
    }
    return this;
  }
}
