package io.troupe.core.runtime;

import com.typesafe.config.Config;
import io.troupe.core.actor.Asks;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.session.OpenIntentSweeper;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The guardian of a Troupe node. It spawns the four subsystems and initializes them
 * concurrently (every Init is sent before any reply is handled), tracks readiness, re-initializes
 * a failed or crashed subsystem with exponential backoff, and starts the guardrail, the session
 * entities and the ingress.
 */
public final class RuntimeSupervisor extends AbstractBehavior<RuntimeSupervisor.Command> {

  public interface Command {}

  public record GetReadiness(ActorRef<Readiness> replyTo) implements Command {}

  /** Sent by a subsystem's crash reporter when it threw; it is being restarted. */
  public record SubsystemCrashed(String subsystem, String error) implements Command {}

  /** Lifecycle events, for logs and for tests that check the order of start-up. */
  public sealed interface LifecycleEvent {}

  public record InitSent(String subsystem, int attempt) implements LifecycleEvent {}

  public record InitFinished(String subsystem, String error) implements LifecycleEvent {}

  public record Down(String subsystem, String error) implements LifecycleEvent {}

  /** A subsystem that was down because its health check failed passed one again. */
  public record Healthy(String subsystem) implements LifecycleEvent {}

  /** The node cannot start (an agent names a tool the node does not have): the system terminates. */
  public record StartFailed(String error) implements LifecycleEvent {}

  /**
   * The coordinated shutdown's reason when the start failed; its exit code (with {@code exit-jvm}) is
   * set in core's reference.conf under {@code pekko.coordinated-shutdown.reason-overrides}.
   */
  public enum StartFailedReason implements org.apache.pekko.actor.CoordinatedShutdown.Reason {
    INSTANCE
  }

  /** The answer to an Init, or {@code failure} when none came within the init timeout. */
  private record InitReply(String subsystem, int attempt, Lifecycle.Initialized result, Throwable failure)
      implements Command {}

  private record RetryInit(String subsystem) implements Command {}

  private record CheckHealthNow() implements Command {}

  /** The answer to a health check, or {@code failure} when none came in time (then ignored). */
  private record HealthReply(String subsystem, int attempt, Lifecycle.Health result, Throwable failure)
      implements Command {}

  /** Settings of start-up, backoff and health checks ({@code troupe.supervisor}). */
  public record Settings(Duration initTimeout, Duration backoffMin, Duration backoffMax,
      Duration healthCheckInterval, Duration healthCheckTimeout) {
    public static Settings fromConfig(Config troupe) {
      Config c = troupe.getConfig("supervisor");
      return new Settings(c.getDuration("init-timeout"), c.getDuration("backoff.min"), c.getDuration("backoff.max"),
          c.getDuration("health-check.interval"), c.getDuration("health-check.timeout"));
    }
  }

  private static final class Tracked {
    final ActorRef<Lifecycle.Init> ref;
    String status = "starting";
    Long initMillis;
    String error;
    int attempt; // inits sent so far
    int failures; // consecutive failures, for the backoff
    long initStartedNanos;
    boolean unhealthy; // down because a health check failed (initialized, not re-initialized)
    boolean checking; // a health check is out

    Tracked(ActorRef<Lifecycle.Init> ref) {
      this.ref = ref;
    }
  }

  public static Behavior<Command> create(SubsystemFactories factories, Config troupeConfig) {
    return create(factories, troupeConfig, null);
  }

  public static Behavior<Command> create(
      SubsystemFactories factories, Config troupeConfig, ActorRef<LifecycleEvent> lifecycleListener) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new RuntimeSupervisor(ctx, timers, factories, troupeConfig, lifecycleListener)));
  }

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final ActorRef<LifecycleEvent> lifecycleListener;
  private final Map<String, Tracked> subsystems = new LinkedHashMap<>();
  private final Map<String, ActorRef<Lifecycle.CheckHealth>> healthChecked = new LinkedHashMap<>();
  private final List<String> mcpPrefixes;
  private boolean agentsChecked;

  private RuntimeSupervisor(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      SubsystemFactories factories,
      Config troupeConfig,
      ActorRef<LifecycleEvent> lifecycleListener) {
    super(ctx);
    this.timers = timers;
    this.settings = Settings.fromConfig(troupeConfig);
    this.lifecycleListener = lifecycleListener;
    this.mcpPrefixes = mcpPrefixes(troupeConfig);

    ActorRef<Command> self = ctx.getSelf();
    var database = ctx.spawn(CrashReporter.supervised(Subsystems.DATABASE, factories.database(), self), Subsystems.DATABASE);
    var vector = ctx.spawn(CrashReporter.supervised(Subsystems.VECTOR_STORE, factories.vectorStore(), self), Subsystems.VECTOR_STORE);
    var llm = ctx.spawn(CrashReporter.supervised(Subsystems.LLM, factories.llmGateway(), self), Subsystems.LLM);
    var tools = ctx.spawn(
        CrashReporter.supervised(Subsystems.TOOLS, factories.toolRegistry(vector, database), self), Subsystems.TOOLS);
    // Guardrails route every action to its subsystem; each session talks to one of them (by its id), with
    // no router in between. The checks keep no state, so they spread over the cores.
    int size = troupeConfig.getInt("guardrail.pool-size");
    GuardrailSettings policy = GuardrailSettings.fromConfig(troupeConfig);
    for (var added : factories.policies()) policy = policy.withPolicy(added);
    Guardrail.Targets targets = new Guardrail.Targets(llm, tools, vector);
    List<ActorRef<Guardrail.Command>> guardrails = new ArrayList<>();
    for (int i = 0; i < (size > 0 ? size : Runtime.getRuntime().availableProcessors()); i++) {
      guardrails.add(ctx.spawn(Guardrail.create(policy, targets), i == 0 ? "guardrail" : "guardrail-" + i));
    }
    var guardrail = guardrails.get(0);

    subsystems.put(Subsystems.LLM, new Tracked(llm.narrow()));
    subsystems.put(Subsystems.TOOLS, new Tracked(tools.narrow()));
    subsystems.put(Subsystems.VECTOR_STORE, new Tracked(vector.narrow()));
    subsystems.put(Subsystems.DATABASE, new Tracked(database.narrow()));

    healthChecked.put(Subsystems.DATABASE, database.narrow());

    // Concurrent init: every Init goes out here, before this actor can handle any reply.
    subsystems.keySet().forEach(this::sendInit);
    if (!settings.healthCheckInterval().isZero()) {
      timers.startTimerWithFixedDelay("health-check", new CheckHealthNow(), settings.healthCheckInterval());
    }

    Subsystems refs = new Subsystems(llm, tools, vector, database, guardrail);
    SessionEntity.init(ctx.getSystem(), List.copyOf(guardrails), SessionSettings.fromConfig(troupeConfig));
    OpenIntentSweeper.init(ctx.getSystem(), database, OpenIntentSweeper.Settings.fromConfig(troupeConfig));
    Behavior<?> http = factories.http(new TroupeRuntime(ctx.getSystem(), self, refs));
    if (http != null) {
      ctx.spawn(http, "http");
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetReadiness.class, this::onGetReadiness)
        .onMessage(InitReply.class, this::onInitReply)
        .onMessage(SubsystemCrashed.class, this::onCrashed)
        .onMessage(RetryInit.class, msg -> {
          sendInit(msg.subsystem());
          return this;
        })
        .onMessage(CheckHealthNow.class, this::onCheckHealthNow)
        .onMessage(HealthReply.class, this::onHealthReply)
        .build();
  }

  private void sendInit(String name) {
    Tracked t = subsystems.get(name);
    t.attempt++;
    t.status = "initializing";
    t.initStartedNanos = System.nanoTime();
    int attempt = t.attempt;
    // ask-ok: once per subsystem start, with the init timeout as its deadline; not the intent path.
    Asks.ask(getContext(), Lifecycle.Initialized.class, t.ref, settings.initTimeout(), Lifecycle.Init::new,
        (result, failure) -> new InitReply(name, attempt, result, failure));
    publish(new InitSent(name, attempt));
  }

  private Behavior<Command> onInitReply(InitReply reply) {
    Tracked t = subsystems.get(reply.subsystem());
    if (t == null || reply.attempt() != t.attempt) {
      return this; // a late answer to an older attempt
    }
    if (reply.failure() != null) {
      markDownAndRetry(reply.subsystem(), "init timed out after " + settings.initTimeout().toMillis() + " ms");
      return this;
    }
    publish(new InitFinished(reply.subsystem(), reply.result().error()));
    if (reply.result().isOk()) {
      t.status = "ready";
      t.error = null;
      t.failures = 0;
      t.initMillis = (System.nanoTime() - t.initStartedNanos) / 1_000_000;
      getContext().getLog().info("{} ready in {} ms", reply.subsystem(), t.initMillis);
      if (reply.subsystem().equals(Subsystems.TOOLS) && !agentsChecked) {
        agentsChecked = true;
        String problems = agentProblems();
        if (problems != null) {
          getContext().getLog().error("troupe: the node cannot start: {}", problems);
          publish(new StartFailed(problems));
          if (getContext().getSelf().path().equals(getContext().getSystem().path())) {
            // The guardian of a node: shut down with a reason of its own, so the process exits non-zero.
            org.apache.pekko.actor.CoordinatedShutdown.get(getContext().getSystem().classicSystem())
                .runAll(StartFailedReason.INSTANCE);
          }
          return Behaviors.stopped(); // as the guardian: the actor system terminates
        }
      }
      if (subsystems.values().stream().allMatch(s -> "ready".equals(s.status))) {
        getContext().getLog().info("all subsystems ready");
      }
    } else {
      markDownAndRetry(reply.subsystem(), "init failed: " + reply.result().error());
    }
    return this;
  }

  /** Checks every initialized subsystem that has an outside dependency; one check out at a time each. */
  private Behavior<Command> onCheckHealthNow(CheckHealthNow msg) {
    healthChecked.forEach((name, ref) -> {
      Tracked t = subsystems.get(name);
      if (t.checking || !("ready".equals(t.status) || t.unhealthy)) {
        return;
      }
      t.checking = true;
      int attempt = t.attempt;
      Duration within = settings.healthCheckTimeout();
      // ask-ok: one per subsystem per interval, with its own deadline; not the intent path.
      Asks.ask(getContext(), Lifecycle.Health.class, ref, within.plusSeconds(1),
          replyTo -> new Lifecycle.CheckHealth(within, replyTo),
          (result, failure) -> new HealthReply(name, attempt, result, failure));
    });
    return this;
  }

  private Behavior<Command> onHealthReply(HealthReply reply) {
    Tracked t = subsystems.get(reply.subsystem());
    t.checking = false;
    if (reply.attempt() != t.attempt || reply.failure() != null) {
      return this; // an older instance's answer, or none (a subsystem that does not check): nothing learned
    }
    if (reply.result().isOk() && t.unhealthy) {
      t.unhealthy = false;
      t.status = "ready";
      t.error = null;
      getContext().getLog().info("{} is healthy again", reply.subsystem());
      publish(new Healthy(reply.subsystem()));
    } else if (!reply.result().isOk() && "ready".equals(t.status)) {
      t.unhealthy = true;
      t.status = "down";
      t.error = "health check failed: " + reply.result().error();
      getContext().getLog().warn("{} is down ({})", reply.subsystem(), t.error);
      publish(new Down(reply.subsystem(), t.error));
    } else if (!reply.result().isOk() && t.unhealthy) {
      t.error = "health check failed: " + reply.result().error();
    }
    return this;
  }

  private Behavior<Command> onCrashed(SubsystemCrashed msg) {
    if (subsystems.containsKey(msg.subsystem())) {
      subsystems.get(msg.subsystem()).attempt++; // ignore any answer of the crashed instance
      markDownAndRetry(msg.subsystem(), "crashed: " + msg.error());
    }
    return this;
  }

  private void markDownAndRetry(String name, String error) {
    Tracked t = subsystems.get(name);
    t.unhealthy = false; // an init decides again
    t.status = "down";
    t.error = error;
    t.failures++;
    Duration delay = backoff(t.failures);
    getContext().getLog().warn("{} is down ({}); initializing it again in {} ms", name, error, delay.toMillis());
    publish(new Down(name, error));
    timers.startSingleTimer(retryKey(name), new RetryInit(name), delay);
  }

  /**
   * The tools are known once the registry has published its catalog: an agent that names a tool the
   * node does not have (or an agent that does not exist) stops the start. A tool of a configured MCP
   * server ({@code <prefix><tool>}) may arrive later, when its server connects: it is not refused here.
   */
  private String agentProblems() {
    Agents agents = Agents.get(getContext().getSystem());
    java.util.Set<String> known = new java.util.HashSet<>(ToolCatalogs.get(getContext().getSystem()).current().names());
    for (AgentSpec a : agents.all()) {
      if (a.tools() == null) continue;
      for (String tool : a.tools()) {
        if (mcpPrefixes.stream().anyMatch(tool::startsWith)) known.add(tool);
      }
    }
    List<String> problems = agents.problems(known);
    return problems.isEmpty() ? null : String.join("; ", problems);
  }

  private static List<String> mcpPrefixes(Config troupe) {
    if (!troupe.hasPath("tools.mcp.servers")) return List.of();
    Config servers = troupe.getConfig("tools.mcp.servers");
    List<String> out = new ArrayList<>();
    for (String server : troupe.getObject("tools.mcp.servers").keySet()) {
      String path = "\"" + server + "\".prefix";
      out.add(servers.hasPath(path) ? servers.getString(path) : server + "_");
    }
    return out;
  }

  private Duration backoff(int failures) {
    long min = settings.backoffMin().toMillis();
    long max = settings.backoffMax().toMillis();
    long base = Math.min(max, min * (1L << Math.min(20, failures - 1)));
    long jitter = (long) (base * 0.2 * ThreadLocalRandom.current().nextDouble());
    return Duration.ofMillis(Math.min(max, base + jitter));
  }

  private Behavior<Command> onGetReadiness(GetReadiness msg) {
    Map<String, Readiness.SubsystemState> states = new LinkedHashMap<>();
    subsystems.forEach((name, t) -> states.put(name, new Readiness.SubsystemState(t.status, t.initMillis, t.error, t.attempt)));
    boolean ready = states.values().stream().allMatch(Readiness.SubsystemState::isReady);
    msg.replyTo().tell(new Readiness(ready, states));
    return this;
  }

  private void publish(LifecycleEvent event) {
    if (lifecycleListener != null) {
      lifecycleListener.tell(event);
    }
  }

  private static String retryKey(String name) {
    return "retry-" + name;
  }
}
