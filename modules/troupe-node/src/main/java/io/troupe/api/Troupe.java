package io.troupe.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.actor.Asks;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.runtime.Readiness;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.session.EventStream;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.Tool;
import io.troupe.node.NodeConfig;
import io.troupe.node.TroupeNode;
import io.troupe.tools.api.Tools;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Troupe embedded in a Java application: the same supervisor, subsystems and guardrail as the
 * standalone node, with the application's own tools and policies, and the HTTP ingress only when
 * asked for.
 *
 * <pre>{@code
 * try (Troupe troupe = Troupe.builder().tool(myTool).policy(myPolicy).dataDir(Path.of("data")).start()) {
 *   IntentResult r = troupe.submit("What is 17% of 2,340?").toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class Troupe implements AutoCloseable {
  /** The agent every node has. */
  public static final String DEFAULT_AGENT = "default";

  private final ActorSystem<RuntimeSupervisor.Command> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Duration maxWait;
  private final CompletionStage<InetSocketAddress> http;

  private Troupe(TroupeNode.Running node, Duration askTimeout, Duration maxWait) {
    this.system = node.system();
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.maxWait = maxWait;
    this.http = node.http();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Configures and starts an embedded Troupe. */
  public static final class Builder {
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private Config config = ConfigFactory.empty();
    private final List<Tool> tools = new ArrayList<>();
    private final List<GuardrailPolicy> policies = new ArrayList<>();
    private final List<AgentSpec> agents = new ArrayList<>();
    private boolean http;
    private Duration startTimeout = Duration.ofSeconds(120);

    private Builder() {
      // Embedded: one process on its own, not a member of anyone's cluster, no port unless asked for.
      settings.put("troupe.http.port", 0);
      settings.put("pekko.coordinated-shutdown.exit-jvm", "off");
    }

    /** Settings in HOCON (any {@code troupe.*} or {@code pekko.*} key); later calls win. */
    public Builder config(String hocon) {
      config = ConfigFactory.parseString(hocon).withFallback(config);
      return this;
    }

    public Builder config(Config more) {
      config = more.withFallback(config);
      return this;
    }

    /** One setting, e.g. {@code set("troupe.llm.provider", "openai")}. */
    public Builder set(String path, Object value) {
      settings.put(path, value);
      return this;
    }

    /** Where the journal (H2), the vector index and the traces live. */
    public Builder dataDir(Path dir) {
      settings.put("troupe.data-dir", dir.toAbsolutePath().toString());
      return this;
    }

    /** A tool of the application's; see {@code io.troupe.tools.api.Tools.builder}. */
    public Builder tool(Tool tool) {
      tools.add(tool);
      return this;
    }

    /** One tool per {@code @TroupeTool} method of {@code object}. */
    public Builder tools(Object object) {
      tools.addAll(Tools.fromObject(object));
      return this;
    }

    /** A guardrail policy of the application's, checked after the configured ones on every target. */
    public Builder policy(GuardrailPolicy policy) {
      policies.add(policy);
      return this;
    }

    /**
     * An agent of the application's ({@code AgentSpec.builder(name)...build()}), beside those of
     * {@code troupe.agents}; one named {@code default} replaces the built-in one.
     */
    public Builder agent(AgentSpec agent) {
      agents.add(agent);
      return this;
    }

    /** The HTTP ingress of DESIGN.md §4 on {@code port} (0: any free one); off unless called. */
    public Builder http(int port) {
      http = true;
      settings.put("troupe.http.port", port);
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      startTimeout = timeout;
      return this;
    }

    /**
     * Starts it, and returns once every subsystem is ready. Call it from the application's own
     * thread (it waits), never from an actor.
     */
    public Troupe start() {
      Config merged = ConfigFactory.parseMap(settings).withFallback(config);
      Map<String, Object> overrides = new LinkedHashMap<>();
      merged.entrySet().forEach(e -> overrides.put(e.getKey(), e.getValue().unwrapped()));
      Config full = NodeConfig.load(overrides);
      try {
        java.nio.file.Files.createDirectories(Path.of(full.getString("troupe.data-dir")));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("troupe.data-dir cannot be created: " + e.getMessage(), e);
      }
      TroupeNode.Running node = TroupeNode.start(full, new TroupeNode.Embedding(tools, policies, agents, http));
      Duration ask = full.getDuration("troupe.http.ask-timeout");
      Troupe troupe = new Troupe(node, ask, full.getDuration("troupe.agent.deadline").plusMinutes(1));
      try {
        troupe.awaitReady(startTimeout);
      } catch (RuntimeException e) {
        troupe.close();
        throw e;
      }
      return troupe;
    }
  }

  /** Waits until every subsystem is ready; fails with the last readiness after {@code timeout}. */
  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Readiness last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = Asks.<RuntimeSupervisor.Command, Readiness>ask(system, RuntimeSupervisor.GetReadiness::new,
            Duration.ofSeconds(5), system.scheduler()).get(10, TimeUnit.SECONDS); // the caller's thread
      } catch (Exception e) {
        last = null;
      }
      if (last != null && last.ready()) return;
      try {
        // Ask again in 100 ms; the caller's thread waits meanwhile.
        CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while Troupe started", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("Troupe did not become ready within " + timeout + ": " + last);
  }

  /** Submits {@code text} to the default agent in a new session; completes when the intent ends. */
  public CompletionStage<IntentResult> submit(String text) {
    return submit(DEFAULT_AGENT, text);
  }

  /** Submits {@code text} to {@code agent} in a new session; completes when the intent ends. */
  public CompletionStage<IntentResult> submit(String agent, String text) {
    return submit(agent, text, "s-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16), null);
  }

  /**
   * Submits {@code text} to {@code agent} in session {@code sessionId} (its earlier messages are the
   * history the agent sees), with optional metadata; completes when the intent ends.
   */
  public CompletionStage<IntentResult> submit(String agent, String text, String sessionId, JsonNode metadata) {
    Agents known = Agents.get(system);
    if (known.find(agent).isEmpty()) return CompletableFuture.failedFuture(new IllegalArgumentException(known.unknown(agent)));
    String named = DEFAULT_AGENT.equals(agent) ? null : agent;
    return Asks.<SessionEntity.Command, IntentView>askWithStatus(session(sessionId),
            replyTo -> new SessionEntity.SubmitAndWait(text, metadata, null, replyTo, null, named), maxWait,
            system.scheduler())
        .thenApply(Troupe::result);
  }

  /** Submits and answers at once, with the accepted intent; follow it with {@link #events} or {@link #result}. */
  public CompletionStage<IntentResult> accept(String text, String sessionId) {
    return Asks.<SessionEntity.Command, IntentView>askWithStatus(session(sessionId),
            replyTo -> new SessionEntity.Submit(text, null, null, replyTo), askTimeout, system.scheduler())
        .thenApply(Troupe::result);
  }

  /** The intent once it has ended. */
  public CompletionStage<IntentResult> result(String intentId) {
    return Asks.<SessionEntity.Command, IntentView>askWithStatus(sessionOf(intentId),
            replyTo -> new SessionEntity.AwaitTerminal(intentId, replyTo), maxWait, system.scheduler())
        .thenApply(Troupe::result);
  }

  /**
   * The intent's events from the first, live until its end, then the stream completes; each
   * subscriber gets its own stream. A subscriber that falls more than 1,024 events behind misses
   * the ones in between (they are dropped, never waited for).
   */
  public Flow.Publisher<IntentEvent> events(String intentId) {
    var session = sessionOf(intentId);
    // Cold: each subscriber gets the stream from its first event, relayed once it has subscribed.
    return subscriber -> {
      SubmissionPublisher<IntentEvent> publisher = new SubmissionPublisher<>(ForkJoinPool.commonPool(), 1024);
      publisher.subscribe(subscriber);
      system.systemActorOf(relay(intentId, publisher, session), "events-" + UUID.randomUUID(), Props.empty());
    };
  }

  /** Feeds one intent's event stream into a publisher, then stops. */
  private static Behavior<EventStream.Message> relay(String intentId, SubmissionPublisher<IntentEvent> publisher,
      org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<SessionEntity.Command> session) {
    return Behaviors.setup(ctx -> {
      session.tell(new SessionEntity.Subscribe(intentId, 0, ctx.getSelf()));
      return Behaviors.receive(EventStream.Message.class)
          .onMessage(EventStream.Item.class, item -> {
            publisher.offer(new IntentEvent(intentId, item.event().seq(), item.event().type(), item.event().data()),
                (subscriber, dropped) -> false);
            return Behaviors.same();
          })
          .onMessage(EventStream.Completed.class, done -> {
            publisher.close();
            return Behaviors.stopped();
          })
          .onMessage(EventStream.NotFound.class, missing -> {
            publisher.closeExceptionally(new IllegalArgumentException("no intent '" + intentId + "'"));
            return Behaviors.stopped();
          })
          .build();
    });
  }

  /** The address of the HTTP ingress, when it runs. */
  public Optional<InetSocketAddress> httpAddress() {
    CompletableFuture<InetSocketAddress> bound = http.toCompletableFuture();
    return bound.isDone() && !bound.isCompletedExceptionally() ? Optional.of(bound.join()) : Optional.empty();
  }

  /** Stops it: running intents resume at the next start, from the journal. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // the caller's thread
    } catch (Exception e) {
      throw new IllegalStateException("Troupe did not stop within 60 s", e);
    }
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<SessionEntity.Command> session(String sessionId) {
    return sharding.entityRefFor(SessionEntity.TYPE_KEY, sessionId);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<SessionEntity.Command> sessionOf(String intentId) {
    int dot = intentId.lastIndexOf('.');
    if (dot <= 0) throw new IllegalArgumentException("not an intent id: '" + intentId + "'");
    return session(intentId.substring(0, dot));
  }

  private static IntentResult result(IntentView v) {
    var o = v.outcome();
    var u = v.usage();
    return new IntentResult(v.id(), v.sessionId(), v.agent() == null ? DEFAULT_AGENT : v.agent(), v.status().json(),
        o == null ? null : o.answer(), o == null ? null : o.output(), o == null ? null : o.errorCode(),
        o == null ? null : o.error(), u == null ? 0 : u.inputTokens(), u == null ? 0 : u.outputTokens(), v.traceId(),
        v.metadata());
  }
}
