package io.troupe.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.IntentAdmission;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.trace.TraceStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's metrics, in one Prometheus registry per actor system ({@code troupe.metrics}; see
 * docs/observability.md). Intents, model calls, tool calls and guardrail verdicts are derived from
 * the {@link TraceStore}'s recording; intents in flight from {@link IntentAdmission}; the breakers
 * from the LLM gateway's status, which the {@code /metrics} route asks for before each scrape; the
 * ingress counts what it sheds. The JVM and Pekko's dispatchers are read at scrape time.
 */
public final class TroupeMetrics implements Extension {

  /** What the ingress refused before any work: the node was full, or the tenant over its rate. */
  public enum Shed {
    OVERLOADED("overloaded"),
    RATE_LIMITED("rate_limited");

    final String label;

    Shed(String label) {
      this.label = label;
    }
  }

  /** What an MCP host called: a tool of the node, or its agent. */
  public enum McpKind {
    TOOL("tool"),
    AGENT("agent");

    final String label;

    McpKind(String label) {
      this.label = label;
    }
  }

  /** How an MCP call ended: a result, an error result, or a refusal by the guardrail. */
  public enum McpOutcome {
    OK("ok"),
    ERROR("error"),
    DENIED("denied");

    final String label;

    McpOutcome(String label) {
      this.label = label;
    }
  }

  /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final ExtensionId<TroupeMetrics> ID = new ExtensionId<>() {
    @Override
    public TroupeMetrics createExtension(ActorSystem<?> system) {
      return new TroupeMetrics(system, MetricsSettings.fromConfig(system.settings().config()));
    }
  };

  public static TroupeMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final MetricsSettings settings;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<Shed, Counter> shed = new java.util.EnumMap<>(Shed.class);
  private final BoundedLabels gatewayProviders;
  private final BoundedLabels gatewayModels;
  private final ConcurrentHashMap<String, TargetGauges> targets = new ConcurrentHashMap<>();
  private IntentMetrics intents;
  private JvmGcMetrics gc;

  private TroupeMetrics(ActorSystem<?> system, MetricsSettings settings) {
    this.settings = settings;
    this.gatewayProviders = new BoundedLabels(settings.maxLabelValues());
    this.gatewayModels = new BoundedLabels(settings.maxLabelValues());
    if (!settings.enabled()) return;

    TraceStore traces = TraceStore.get(system);
    ToolCatalogs catalogs = ToolCatalogs.get(system);
    intents = new IntentMetrics(registry, settings, catalogs::current);
    traces.addListener(intents);
    system.getWhenTerminated().thenRun(this::close);

    IntentAdmission admission = IntentAdmission.get(system);
    Gauge.builder("troupe.intents.in.flight", admission, IntentAdmission::inFlight)
        .description("Intents accepted or running in this node's sessions now").register(registry);
    for (Shed s : Shed.values()) {
      shed.put(s, Counter.builder("troupe.ingress.shed").description("Requests the ingress refused before any work, by reason")
          .tag("reason", s.label).register(registry));
    }
    FunctionCounter.builder("troupe.trace.dropped", traces, t -> t.stats().dropped())
        .description("Finished intents whose trace was not written to the database").register(registry);
    FunctionCounter.builder("troupe.trace.dropped.steps", traces, t -> t.stats().droppedSteps())
        .description("Steps of running intents beyond troupe.trace.max-steps-per-intent").register(registry);
    Gauge.builder("troupe.trace.write.queue", traces, t -> t.stats().queued())
        .description("Finished intents waiting to be written to the database").register(registry);

    if (settings.jvm()) {
      new JvmMemoryMetrics().bindTo(registry);
      gc = new JvmGcMetrics();
      gc.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
    }
    PekkoMetrics.bind(system, registry, settings.dispatchers());
  }

  public boolean enabled() {
    return settings.enabled();
  }

  public MetricsSettings settings() {
    return settings;
  }

  /** The registry, for meters of an application that embeds Troupe. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every metric in Prometheus text format ({@link #CONTENT_TYPE}). */
  public String scrape() {
    return registry.scrape();
  }

  /** The ingress refused a request. */
  public void shed(Shed reason) {
    Counter c = shed.get(reason);
    if (c != null) c.increment();
  }

  /** An MCP host's {@code tools/call} ended (troupe.mcp.server). */
  public void mcpCall(McpKind kind, McpOutcome outcome) {
    if (!settings.enabled()) return;
    Counter.builder("troupe.mcp.calls").description("tools/call requests of MCP hosts that ended, by kind and outcome")
        .tag("kind", kind.label).tag("outcome", outcome.label).register(registry).increment();
  }

  /** The LLM gateway's providers and breakers, as it answered {@link LlmGateway.GetStatus}. */
  public void gatewayStatus(LlmGateway.Status status) {
    if (!settings.enabled() || status == null) return;
    for (LlmGateway.TargetStatus t : status.targets()) {
      String provider = gatewayProviders.of(t.provider());
      String model = gatewayModels.of(t.model());
      TargetGauges g = targets.computeIfAbsent(provider + '\n' + model, k -> new TargetGauges(provider, model));
      g.breaker.set(breakerValue(t.breaker()));
      g.active.set(t.activeCalls());
      g.queued.set(t.queuedCalls());
    }
  }

  /** 0 closed, 1 half-open (one trial call), 2 open (calls fail fast). */
  static int breakerValue(LlmGateway.BreakerState state) {
    return state == null ? 0 : switch (state) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }

  private final class TargetGauges {
    final AtomicInteger breaker = new AtomicInteger();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger queued = new AtomicInteger();

    TargetGauges(String provider, String model) {
      Gauge.builder("troupe.breaker.state", breaker, AtomicInteger::get)
          .description("Circuit breaker of a provider and model: 0 closed, 1 half-open, 2 open")
          .tags("provider", provider, "model", model).register(registry);
      Gauge.builder("troupe.model.calls.active", active, AtomicInteger::get)
          .description("Model calls in flight at a provider (its bulkhead)")
          .tags("provider", provider, "model", model).register(registry);
      Gauge.builder("troupe.model.calls.queued", queued, AtomicInteger::get)
          .description("Model calls waiting for a place in a provider's bulkhead")
          .tags("provider", provider, "model", model).register(registry);
    }
  }

  private void close() {
    if (gc != null) gc.close();
    registry.close();
  }
}
