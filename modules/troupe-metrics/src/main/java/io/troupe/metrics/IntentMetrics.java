package io.troupe.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import io.troupe.core.tools.PublishedCatalog;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceListener;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The intent, model, tool and guardrail metrics, derived from the trace store's recording: each
 * step (span) that ends and each intent that finishes. Meters are made once per label set and kept,
 * so recording one costs a map read or two and an atomic add; labels never hold an intent or a
 * session id, and the open-ended ones (provider, model, tool) are bounded by {@link BoundedLabels}.
 */
final class IntentMetrics implements TraceListener {

  static final String INTENTS = "troupe.intents";
  static final String INTENT_DURATION = "troupe.intent.duration";
  static final String INTENT_FAILURES = "troupe.intent.failures";
  static final String MODEL_CALLS = "troupe.model.calls";
  static final String MODEL_CALL_DURATION = "troupe.model.call.duration";
  static final String MODEL_TOKENS = "troupe.model.tokens";
  static final String MODEL_COST = "troupe.model.cost.usd";
  static final String TOOL_CALLS = "troupe.tool.calls";
  static final String TOOL_CALL_DURATION = "troupe.tool.call.duration";
  static final String GUARDRAIL_VERDICTS = "troupe.guardrail.verdicts";

  private final MeterRegistry registry;
  private final MetricsSettings settings;
  private final Supplier<PublishedCatalog> catalog;

  private final BoundedLabels providers;
  private final BoundedLabels models;
  private final BoundedLabels tools;
  private final BoundedLabels failureCodes = new BoundedLabels(32);
  private final BoundedLabels targets = new BoundedLabels(16);
  private final BoundedLabels verdictKinds = new BoundedLabels(16);

  private final Map<IntentStatus, Counter> intents = new EnumMap<>(IntentStatus.class);
  private final Map<IntentStatus, Timer> intentDurations = new EnumMap<>(IntentStatus.class);
  private final ConcurrentHashMap<String, Counter> failures = new ConcurrentHashMap<>();
  /** provider, then model. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, ModelMeters>> modelMeters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CallMeters> toolMeters = new ConcurrentHashMap<>();
  /** target, then verdict. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Counter>> verdicts = new ConcurrentHashMap<>();

  IntentMetrics(MeterRegistry registry, MetricsSettings settings, Supplier<PublishedCatalog> catalog) {
    this.registry = registry;
    this.settings = settings;
    this.catalog = catalog;
    this.providers = new BoundedLabels(settings.maxLabelValues());
    this.models = new BoundedLabels(settings.maxLabelValues());
    this.tools = new BoundedLabels(settings.maxLabelValues());
    for (IntentStatus status : IntentStatus.values()) {
      if (!status.isTerminal()) continue;
      intents.put(status, Counter.builder(INTENTS).description("Intents that ended, by status")
          .tag("status", status.json()).register(registry));
      intentDurations.put(status, Timer.builder(INTENT_DURATION)
          .description("From an intent's acceptance to its end, by status")
          .tag("status", status.json()).serviceLevelObjectives(settings.intentBuckets()).register(registry));
    }
  }

  // The trace store's calls, on the session's thread

  @Override
  public void stepEnded(String intentId, Step step) {
    String kind = step.kind();
    if (kind == null) return;
    switch (kind) {
      case "model" -> modelCall(step);
      case "tool" -> toolCall(step);
      case "guardrail" -> verdict(step);
      default -> { }
    }
  }

  @Override
  public void intentFinished(StoredIntent intent) {
    IntentView view = intent.view();
    IntentStatus status = view.status();
    Counter counter = status == null ? null : intents.get(status);
    if (counter == null) return; // not terminal: nothing to count
    counter.increment();
    if (view.createdNanos() > 0 && view.finishedNanos() >= view.createdNanos()) {
      intentDurations.get(status).record(view.finishedNanos() - view.createdNanos(), TimeUnit.NANOSECONDS);
    }
    if (status == IntentStatus.FAILED && view.outcome() != null) {
      String code = failureCodes.of(view.outcome().errorCode());
      failures.computeIfAbsent(code, c -> Counter.builder(INTENT_FAILURES)
          .description("Failed intents, by error code").tag("code", c).register(registry)).increment();
    }
  }

  // Steps

  private void modelCall(Step step) {
    JsonNode detail = step.detail();
    boolean ok = "ok".equals(step.status());
    // A failed call's step names no provider or model: the configured ones stand in.
    String provider = providers.of(ok ? text(detail, "provider", settings.defaultProvider()) : settings.defaultProvider());
    String model = models.of(ok ? text(detail, "model", settings.defaultModel()) : settings.defaultModel());
    ModelMeters m = modelMeters.computeIfAbsent(provider, p -> new ConcurrentHashMap<>())
        .computeIfAbsent(model, mo -> new ModelMeters(provider, mo));
    long nanos = duration(step);
    if (ok) {
      m.ok.calls.increment();
      m.ok.duration.record(nanos, TimeUnit.NANOSECONDS);
      if (detail != null) {
        long in = detail.path("inputTokens").asLong();
        long out = detail.path("outputTokens").asLong();
        double cost = detail.path("costUsd").asDouble();
        if (in > 0) m.inputTokens.increment(in);
        if (out > 0) m.outputTokens.increment(out);
        if (cost > 0) m.cost.increment(cost);
      }
    } else {
      m.error.calls.increment();
      m.error.duration.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  private void toolCall(Step step) {
    String tool = toolLabel(step.name());
    CallMeters m = toolMeters.computeIfAbsent(tool, t -> new CallMeters(t));
    Outcome o = "ok".equals(step.status()) ? m.ok : m.error;
    o.calls.increment();
    o.duration.record(duration(step), TimeUnit.NANOSECONDS);
  }

  /** A tool of the published catalog by its name; a name a model made up is "unknown". */
  private String toolLabel(String name) {
    PublishedCatalog c = catalog.get();
    if (name == null || (c.version() > 0 && !c.has(name))) return "unknown";
    return tools.of(name);
  }

  private void verdict(Step step) {
    String target = targets.of(text(step.detail(), "target", "unknown"));
    String verdict = verdictKinds.of(step.status());
    verdicts.computeIfAbsent(target, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(verdict, v -> Counter.builder(GUARDRAIL_VERDICTS)
            .description("Guardrail verdicts, by what was checked and the verdict")
            .tags("target", target, "verdict", v).register(registry))
        .increment();
  }

  private static long duration(Step step) {
    return step.endNanos() > step.startNanos() && step.startNanos() > 0 ? step.endNanos() - step.startNanos() : 0;
  }

  private static String text(JsonNode detail, String field, String otherwise) {
    if (detail == null) return otherwise;
    JsonNode v = detail.get(field);
    return v == null || !v.isTextual() || v.textValue().isEmpty() ? otherwise : v.textValue();
  }

  // Meters of one label set, made once

  private record Outcome(Counter calls, Timer duration) {}

  private final class ModelMeters {
    final Outcome ok;
    final Outcome error;
    final Counter inputTokens;
    final Counter outputTokens;
    final Counter cost;

    ModelMeters(String provider, String model) {
      ok = outcome(MODEL_CALLS, MODEL_CALL_DURATION, settings.modelCallBuckets(), "ok", "provider", provider, "model", model);
      error = outcome(MODEL_CALLS, MODEL_CALL_DURATION, settings.modelCallBuckets(), "error", "provider", provider,
          "model", model);
      inputTokens = tokens(provider, model, "input");
      outputTokens = tokens(provider, model, "output");
      cost = Counter.builder(MODEL_COST).description("Known cost of model calls in US dollars (0 when unpriced)")
          .tags("provider", provider, "model", model).register(registry);
    }

    private Counter tokens(String provider, String model, String kind) {
      return Counter.builder(MODEL_TOKENS).description("Tokens of model calls, by kind (input or output)")
          .tags("provider", provider, "model", model, "kind", kind).register(registry);
    }
  }

  private final class CallMeters {
    final Outcome ok;
    final Outcome error;

    CallMeters(String tool) {
      ok = outcome(TOOL_CALLS, TOOL_CALL_DURATION, settings.toolCallBuckets(), "ok", "tool", tool);
      error = outcome(TOOL_CALLS, TOOL_CALL_DURATION, settings.toolCallBuckets(), "error", "tool", tool);
    }
  }

  private Outcome outcome(String calls, String duration, Duration[] buckets, String outcome, String... tags) {
    String what = calls.equals(MODEL_CALLS) ? "Model calls" : "Tool calls";
    Counter counter = Counter.builder(calls).description(what + ", by outcome").tags(tags).tag("outcome", outcome)
        .register(registry);
    Timer timer = Timer.builder(duration).description(what + ": time from routing to the result, by outcome")
        .tags(tags).tag("outcome", outcome).serviceLevelObjectives(buckets).register(registry);
    return new Outcome(counter, timer);
  }
}
