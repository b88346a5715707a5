package io.troupe.otel;

import io.micrometer.core.instrument.FunctionCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceListener;
import io.troupe.core.trace.TraceStore;
import io.troupe.metrics.MetricsSettings;
import io.troupe.metrics.TroupeMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports every finished intent's trace over OTLP with the OpenTelemetry SDK, configured by the
 * SDK's standard environment ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_SERVICE_NAME},
 * {@code OTEL_TRACES_SAMPLER}, {@code OTEL_BSP_*}, ...). Off, with no SDK started, when no OTLP
 * endpoint is set or {@code OTEL_SDK_DISABLED=true}.
 *
 * <p>A {@link TraceListener} on the {@link TraceStore}: when an intent finishes, the session's
 * thread only offers it to a bounded queue ({@code troupe.telemetry.export-queue}); when the queue
 * is full its spans are dropped and counted. One daemon thread ({@code troupe-otel-export}) turns
 * each intent into spans with the ids Troupe recorded, and hands them to the SDK's batch span
 * processor, which exports them on its own thread. The thread never lets more than half of the
 * processor's queue ({@code OTEL_BSP_MAX_QUEUE_SIZE}) wait: past that it flushes and waits for the
 * collector (at most {@code flush-timeout}), so that a slow or absent collector backs up into the
 * bounded queue, where it is counted, never into memory. Spans of a batch the collector refused or
 * never took are counted as dropped too.
 */
public final class OtelExport implements Extension {

  private static final Logger LOG = LoggerFactory.getLogger(OtelExport.class);
  private static final long WARN_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
  private static final String SCOPE = "io.troupe";

  private static final ExtensionId<OtelExport> ID = new ExtensionId<>() {
    @Override
    public OtelExport createExtension(ActorSystem<?> system) {
      return start(system, Map.of());
    }
  };

  /** The node's export, started (or left off) from the process's environment on first use. */
  public static OtelExport get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * An export with {@code properties} (the SDK's names: {@code otel.exporter.otlp.endpoint}, ...)
   * over the process's environment and system properties; for tests and applications that embed
   * Troupe. The environment wins over {@code properties}, as in the SDK.
   */
  public static OtelExport start(ActorSystem<?> system, Map<String, String> properties) {
    Map<String, String> effective = effectiveProperties(properties, System.getenv(), System.getProperties());
    TelemetrySettings settings = TelemetrySettings.fromConfig(system.settings().config());
    if (!enabled(effective)) {
      LOG.debug("OpenTelemetry export is off: no OTLP endpoint is set, or OTEL_SDK_DISABLED=true");
      return new OtelExport(settings);
    }
    OtelExport export = new OtelExport(settings);
    try {
      export.startSdk(system, properties);
      LOG.info("OpenTelemetry export is on: intent traces go over OTLP ({}) to {}",
          effective.getOrDefault("otel.exporter.otlp.traces.protocol",
              effective.getOrDefault("otel.exporter.otlp.protocol", "http/protobuf")),
          effective.getOrDefault("otel.exporter.otlp.traces.endpoint", effective.get("otel.exporter.otlp.endpoint")));
    } catch (RuntimeException e) {
      LOG.error("OpenTelemetry export is off: the SDK could not be configured: {}",
          e.getCause() == null ? e.toString() : e + " (" + e.getCause() + ")", e);
      return new OtelExport(settings);
    }
    return export;
  }

  /** The otel.* properties as the SDK will see them: system properties and the environment over {@code given}. */
  static Map<String, String> effectiveProperties(Map<String, String> given, Map<String, String> env,
      java.util.Properties system) {
    Map<String, String> out = new HashMap<>(given);
    env.forEach((k, v) -> {
      if (k.startsWith("OTEL_")) out.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
    });
    system.stringPropertyNames().forEach(k -> {
      if (k.startsWith("otel.")) out.put(k, system.getProperty(k));
    });
    return out;
  }

  /** On when an OTLP endpoint (all signals, or traces) is set, the SDK is not disabled and traces go to OTLP. */
  static boolean enabled(Map<String, String> p) {
    if ("true".equalsIgnoreCase(p.getOrDefault("otel.sdk.disabled", "").trim())) return false;
    String exporter = p.getOrDefault("otel.traces.exporter", "otlp").trim();
    if (!exporter.isEmpty() && !exporter.equals("otlp")) return false;
    return !p.getOrDefault("otel.exporter.otlp.endpoint", "").isBlank()
        || !p.getOrDefault("otel.exporter.otlp.traces.endpoint", "").isBlank();
  }

  private final TelemetrySettings settings;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private final GivenIds ids = new GivenIds();
  private final AtomicInteger processorQueue = new AtomicInteger(2048);

  private volatile BlockingQueue<StoredIntent> queue;
  private volatile boolean closing;
  /** Completes when the exporter's thread has ended and the SDK has shut down. */
  private volatile CompletableFuture<Void> closedStage = CompletableFuture.completedFuture(null);
  private OpenTelemetrySdk sdk;
  private Tracer tracer;
  private IntentSpans mapping;
  private Thread thread;
  private TraceListener listener;
  private TraceStore traces;

  private OtelExport(TelemetrySettings settings) {
    this.settings = settings;
  }

  private void startSdk(ActorSystem<?> system, Map<String, String> properties) {
    Map<String, String> defaults = Map.of(
        "otel.service.name", "troupe",
        "otel.traces.exporter", "otlp",
        // The OTLP default of the specification; the Java SDK's own default is grpc, which needs a gRPC sender.
        "otel.exporter.otlp.protocol", "http/protobuf",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none");
    AutoConfiguredOpenTelemetrySdk auto = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .addPropertiesSupplier(() -> properties)
        .addTracerProviderCustomizer((builder, config) -> builder.setIdGenerator(ids))
        .addSpanExporterCustomizer((exporter, config) -> new CountingExporter(exporter, exported::addAndGet,
            n -> dropped(n, "the collector did not take a batch of " + n + " spans")))
        .addSpanProcessorCustomizer((processor, config) -> {
          processorQueue.set(Math.max(2, config.getInt("otel.bsp.max.queue.size", 2048)));
          return processor;
        })
        .disableShutdownHook() // the actor system's shutdown flushes and closes it
        .build();
    sdk = auto.getOpenTelemetrySdk();
    tracer = sdk.getTracerProvider().get(SCOPE);
    MetricsSettings metrics = TroupeMetrics.get(system).settings();
    mapping = new IntentSpans(settings.captureContent(), settings.maxContentChars(), metrics.defaultProvider(),
        metrics.defaultModel());
    queue = new ArrayBlockingQueue<>(settings.exportQueue());

    TroupeMetrics troupeMetrics = TroupeMetrics.get(system);
    if (troupeMetrics.enabled()) {
      FunctionCounter.builder("troupe.otel.spans.dropped", this, OtelExport::droppedSpans)
          .description("Spans not exported over OTLP: the export queue was full, or the collector did not take them")
          .register(troupeMetrics.registry());
      FunctionCounter.builder("troupe.otel.spans.exported", this, OtelExport::exportedSpans)
          .description("Spans the OTLP collector took").register(troupeMetrics.registry());
    }

    CompletableFuture<Void> done = new CompletableFuture<>();
    thread = new Thread(() -> exportLoop(done), "troupe-otel-export");
    thread.setDaemon(true);
    thread.start();
    closedStage = done;

    traces = TraceStore.get(system);
    listener = new TraceListener() {
      @Override
      public void intentFinished(StoredIntent intent) {
        offer(intent);
      }
    };
    traces.addListener(listener);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "troupe-otel-flush",
        () -> close().thenApply(ignored -> Done.getInstance()));
    system.getWhenTerminated().thenRun(this::close);
  }

  /** Whether the SDK runs and intents are exported. */
  public boolean enabled() {
    return queue != null;
  }

  public TelemetrySettings settings() {
    return settings;
  }

  /** Spans not exported: the export queue was full, or the collector did not take their batch. */
  public long droppedSpans() {
    return dropped.get();
  }

  /** Spans the collector took. */
  public long exportedSpans() {
    return exported.get();
  }

  /** The SDK's tracer provider while on (for an application that embeds Troupe), else null. */
  public SdkTracerProvider tracerProvider() {
    return sdk == null ? null : sdk.getSdkTracerProvider();
  }

  /** The listener's side, on the recording thread: an offer to the bounded queue, nothing else. */
  void offer(StoredIntent intent) {
    BlockingQueue<StoredIntent> q = queue;
    if (q == null) return; // off
    if (closing || !q.offer(intent)) {
      int spans = 1 + (intent.view().steps() == null ? 0 : intent.view().steps().size());
      dropped(spans, closing ? "the export is closing" : "the export queue is full (" + settings.exportQueue() + " intents)");
    }
  }

  /**
   * Exports what is queued and stops: the thread ends after a last flush, then the SDK shuts down.
   * Later intents are dropped. Idempotent.
   */
  public CompletionStage<Void> close() {
    if (queue == null) return closedStage;
    closing = true;
    if (traces != null) traces.removeListener(listener);
    Thread t = thread;
    if (t != null) t.interrupt();
    return closedStage;
  }

  // The exporter's thread

  private void exportLoop(CompletableFuture<Void> done) {
    long delayNanos = Duration.ofSeconds(1).toNanos();
    int pending = 0; // spans handed to the processor since its last flush
    long firstPendingAt = 0;
    try {
      while (true) {
        StoredIntent next;
        if (closing) {
          next = queue.poll();
          if (next == null) break;
        } else {
          long waitNanos = pending == 0 ? delayNanos : Math.max(0, firstPendingAt + delayNanos - System.nanoTime());
          try {
            next = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
          } catch (InterruptedException e) {
            continue; // close() woke us: drain what is queued
          }
        }
        if (next != null) {
          IntentSpans.Spans spans = spansOf(next);
          if (spans != null) {
            if (pending > 0 && pending + spans.spans().size() > processorQueue.get() / 2) {
              flush();
              pending = 0;
            }
            emit(spans);
            if (pending == 0) firstPendingAt = System.nanoTime();
            pending += spans.spans().size();
          }
        }
        if (pending > 0 && System.nanoTime() - firstPendingAt >= delayNanos) {
          flush();
          pending = 0;
        }
      }
      flush();
    } catch (RuntimeException e) {
      LOG.error("the OpenTelemetry export stopped: {}", e.toString());
    } finally {
      Thread.interrupted();
      queue.forEach(this::countDropped);
      queue.clear();
      sdk.shutdown().join(settings.flushTimeout().toMillis(), TimeUnit.MILLISECONDS);
      done.complete(null);
    }
  }

  /** The intent's spans; null (and its spans counted as dropped) when it cannot be mapped, so one bad trace stops nothing. */
  private IntentSpans.Spans spansOf(StoredIntent intent) {
    try {
      return mapping.of(intent);
    } catch (RuntimeException e) {
      dropped(1 + (intent.view().steps() == null ? 0 : intent.view().steps().size()),
          "the trace of " + intent.view().id() + " could not be mapped: " + e);
      return null;
    }
  }

  private void countDropped(StoredIntent intent) {
    dropped(1 + (intent.view().steps() == null ? 0 : intent.view().steps().size()), "the export stopped");
  }

  /** The batch processor sends what it holds; waits for the collector at most {@code flush-timeout}. */
  private void flush() {
    sdk.getSdkTracerProvider().forceFlush().join(settings.flushTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Starts and ends the intent's spans with their recorded ids, times and parents. */
  private void emit(IntentSpans.Spans spans) {
    List<IntentSpans.SpanRecord> records = spans.spans();
    IntentSpans.SpanRecord root = records.get(0);
    Context rootParent = root.parentSpanId() == null ? Context.root()
        : Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(spans.traceId(), root.parentSpanId(),
            spans.callerSampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault())));
    TraceFlags flags = start(spans.traceId(), root, rootParent).getTraceFlags();
    for (int i = 1; i < records.size(); i++) {
      IntentSpans.SpanRecord r = records.get(i);
      Context parent = Context.root().with(Span.wrap(SpanContext.create(spans.traceId(), r.parentSpanId(), flags,
          TraceState.getDefault())));
      start(spans.traceId(), r, parent);
    }
  }

  private SpanContext start(String traceId, IntentSpans.SpanRecord r, Context parent) {
    ids.next(traceId, r.spanId());
    Span span = tracer.spanBuilder(r.name())
        .setParent(parent)
        .setSpanKind(r.kind())
        .setStartTimestamp(r.startNanos(), TimeUnit.NANOSECONDS)
        .setAllAttributes(r.attributes())
        .startSpan();
    if (r.statusMessage() == null) span.setStatus(r.status());
    else span.setStatus(r.status(), r.statusMessage());
    span.end(r.endNanos(), TimeUnit.NANOSECONDS);
    return span.getSpanContext();
  }

  private void dropped(long count, String why) {
    long total = dropped.addAndGet(count);
    long now = System.nanoTime();
    long last = lastWarnNanos.get();
    if (now - last >= WARN_EVERY_NANOS && lastWarnNanos.compareAndSet(last, now)) {
      LOG.warn("OpenTelemetry spans dropped ({} so far): {}", total, why);
    }
  }
}
