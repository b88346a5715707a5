package io.troupe.bench.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.Latency;
import io.troupe.bench.Log;
import io.troupe.bench.Memory;
import io.troupe.bench.Progress;
import io.troupe.bench.Results;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.Readiness;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.node.TroupeNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One "whole sessions" run, in a JVM of its own: an in-process node (HTTP on port 0, a temporary
 * data directory) whose gateway uses provider {@code openai} at the fake; N intents go to N
 * distinct {@link SessionEntity} sessions through Cluster Sharding ({@code Submit}, then
 * {@code AwaitTerminal}). Each intent is: model call → two parallel tool calls (calculator,
 * current_time) → model call → answer, with the guardrail on every step.
 */
public final class SessionBench {
  private SessionBench() {}

  /** The first outcome message of each error code, for the report. */
  private static final Map<String, String> SAMPLES = new ConcurrentHashMap<>();

  static final String TEXT = "What is 17% of 2,340, and what time is it in UTC?";

  static void main(Args args) throws Exception {
    String url = args.str("url", "http://127.0.0.1:8000");
    int n = args.integer("n", 1000);
    int c = args.integer("c", Math.min(n, 10_000));
    int p = args.integer("p", c);
    int warmup = args.integer("warmup", Math.min(n, 500));
    long latencyMs = args.integer("latency-ms", 200);
    long timeoutS = args.integer("timeout-s", 300);
    double failRate = args.dbl("fail-rate", 0);
    String journal = args.str("journal", "inmem");
    String label = args.str("label", "sessions-" + journal + "-n" + n);
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/" + label + ".json"));

    Path dataDir = Files.createTempDirectory("troupe-bench-");
    Map<String, Object> o = new HashMap<>(GatewayBench.llmOverrides(url, p, c, n + warmup));
    o.put("troupe.http.host", "127.0.0.1");
    o.put("troupe.http.port", 0);
    o.put("troupe.data-dir", dataDir.toString());
    o.put("pekko.coordinated-shutdown.exit-jvm", "off");
    // Sessions here never touch the vector store: the model-free embedder keeps the ONNX model
    // (its start-up CPU and its memory) out of the figures.
    o.put("troupe.vector-store.embedder", args.str("embedder", "hashing"));
    o.put("pekko.loglevel", "WARNING");
    o.put("pekko.log-dead-letters", 0);
    if (journal.equals("inmem")) {
      o.put("pekko.persistence.journal.plugin", "pekko.persistence.journal.inmem");
      o.put("pekko.persistence.snapshot-store.plugin", "pekko.persistence.no-snapshot-store");
    }
    long t0 = System.nanoTime();
    TroupeNode.Running node = TroupeNode.start(o);
    ActorSystem<RuntimeSupervisor.Command> system = node.system();
    try {
      awaitReady(system, Duration.ofSeconds(120));
      Log.info("%s: node ready in %.1fs (journal %s, P=%d, C=%d)", label, (System.nanoTime() - t0) / 1e9, journal, p, c);
      ClusterSharding sharding = ClusterSharding.get(system);
      int w = 0;
      for (int size : GatewayBench.rampUp(warmup)) {
        drive(label + " warm-up " + size, sharding, "warm" + (w++), size, timeoutS, new Latency(), null);
      }
      // The warm-up ran without faults; the fake's counts start again here.
      new FakeAdmin(url).configure(failRate, (int) latencyMs);
      double heapBefore = Memory.heapAfterGcMiB();
      Latency latency = new Latency();
      Map<String, Long> codes = new ConcurrentHashMap<>();
      double cpuBefore = processCpuSeconds();
      GatewayBench.Outcome r = drive(label, sharding, "s", n, timeoutS, latency, codes);
      // This process only: the fake provider runs in a JVM of its own.
      double cpuMsPerSession = (processCpuSeconds() - cpuBefore) * 1000 / n;
      double idealS = 2 * latencyMs / 1000.0;
      double poolIdealS = 2 * Math.ceil((double) n / Math.min(c, p)) * latencyMs / 1000.0;
      ObjectNode res = Json.object();
      res.put("kind", "sessions");
      res.put("label", label);
      res.put("journal", journal);
      res.put("n", n);
      res.put("failRate", failRate);
      res.put("p", p);
      res.put("c", c);
      res.put("latencyMs", latencyMs);
      res.put("wallS", r.wallS());
      res.put("idealS", idealS);
      res.put("wallOverIdeal", Results.round3(r.wallS() / idealS));
      res.put("poolIdealS", poolIdealS);
      res.put("wallOverPoolIdeal", Results.round3(r.wallS() / poolIdealS));
      res.put("succeeded", r.ok());
      res.put("errors", r.errors());
      res.put("unfinished", r.unfinished());
      res.put("cpuMsPerSession", Results.round3(cpuMsPerSession));
      res.set("errorCodes", r.codes());
      ObjectNode samples = Json.object();
      SAMPLES.forEach(samples::put);
      res.set("errorSamples", samples);
      res.set("latency", latency.summaryMillis());
      res.put("peakRssMiB", Results.round3(Memory.peakRssMiB()));
      // The N sessions are still alive here (not passivated): this is the heap that holds them.
      res.put("heapAfterGcMiB", Results.round3(Memory.heapAfterGcMiB()));
      res.put("heapAfterGcBeforeRunMiB", Results.round3(heapBefore));
      res.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
      Results.write(out, res);
      Log.info("%s: wall %.2fs ideal %.2fs ratio %.2f, succeeded %d errors %d unfinished %d, CPU %.2f ms/session, p50 %.0fms p99 %.0fms, peak RSS %.0f MiB, heap after GC %.0f MiB",
          label, r.wallS(), idealS, r.wallS() / idealS, r.ok(), r.errors(), r.unfinished(), cpuMsPerSession,
          res.get("latency").get("p50Ms").asDouble(), res.get("latency").get("p99Ms").asDouble(),
          res.get("peakRssMiB").asDouble(), res.get("heapAfterGcMiB").asDouble());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // blocking-ok: main thread
    }
  }

  /** Polls the supervisor (from the driver's main thread) until every subsystem is ready. */
  public static void awaitReady(ActorSystem<RuntimeSupervisor.Command> system, Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    Readiness last = null;
    while (System.nanoTime() < deadline) {
      last = AskPattern.<RuntimeSupervisor.Command, Readiness>ask(system, RuntimeSupervisor.GetReadiness::new,
          Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS); // blocking-ok: main
      if (last.ready()) {
        return;
      }
      Thread.sleep(200); // blocking-ok: the driver's main thread
    }
    throw new IllegalStateException("the node did not become ready: " + (last == null ? "?" : last.subsystems()));
  }

  private static GatewayBench.Outcome drive(String label, ClusterSharding sharding, String prefix, int n, long timeoutS,
      Latency latency, Map<String, Long> codesOut) throws InterruptedException {
    Map<String, Long> codes = codesOut != null ? codesOut : new ConcurrentHashMap<>();
    CountDownLatch latch = new CountDownLatch(n);
    Duration ask = Duration.ofSeconds(timeoutS);
    long start = System.nanoTime();
    try (Progress progress = new Progress(label, n)) {
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        progress.sent.incrementAndGet();
        EntityRef<SessionEntity.Command> session = sharding.entityRefFor(SessionEntity.TYPE_KEY, prefix + "-" + i);
        CompletionStage<StatusReply<IntentView>> submitted =
            session.ask(replyTo -> new SessionEntity.Submit(TEXT, null, null, replyTo), ask);
        submitted.thenComposeAsync(reply -> {
              if (reply.isError()) {
                return CompletableFuture.completedFuture("submit_" + reply.getError().getMessage());
              }
              String intentId = reply.getValue().id();
              return session.<StatusReply<IntentView>>ask(replyTo -> new SessionEntity.AwaitTerminal(intentId, replyTo), ask)
                  .thenApplyAsync(done -> {
                    if (done.isError()) {
                      return "await_" + done.getError().getMessage();
                    }
                    IntentView v = done.getValue();
                    if (v.status() == IntentStatus.SUCCEEDED) {
                      return (String) null;
                    }
                    String code = v.status().name().toLowerCase() + ":" + (v.outcome() == null ? "?" : v.outcome().errorCode());
                    if (v.outcome() != null && v.outcome().error() != null && SAMPLES.size() < 20) {
                      SAMPLES.putIfAbsent(code, v.outcome().error().length() > 300
                          ? v.outcome().error().substring(0, 300) : v.outcome().error());
                    }
                    return code;
                  }, GatewayBench.DIRECT);
            }, GatewayBench.DIRECT)
            .handleAsync((code, t) -> t == null ? code : "ask_" + t.getClass().getSimpleName(), GatewayBench.DIRECT)
            .whenCompleteAsync((code, failure) -> {
              latency.recordMicros((System.nanoTime() - t0) / 1000);
              if (code != null) {
                progress.errors.incrementAndGet();
                codes.merge(code.length() > 120 ? code.substring(0, 120) : code, 1L, Long::sum);
              }
              progress.done.incrementAndGet();
              latch.countDown();
            }, GatewayBench.DIRECT);
      }
      boolean all = latch.await(timeoutS, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
      double wall = (System.nanoTime() - start) / 1e9;
      long done = n - latch.getCount();
      long errors = progress.errors.get();
      ObjectNode codeNode = Json.object();
      codes.forEach(codeNode::put);
      if (!all) {
        Log.info("%s: %d of %d intents did not end within %ds", label, latch.getCount(), n, timeoutS);
      }
      return new GatewayBench.Outcome(Results.round3(wall), done - errors, errors, latch.getCount(), codeNode);
    }
  }

  /** CPU time of this process, every thread (JIT and GC included), in seconds. */
  private static double processCpuSeconds() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : 0;
  }
}
