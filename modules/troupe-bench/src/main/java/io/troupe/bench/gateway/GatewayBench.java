package io.troupe.bench.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.bench.Args;
import io.troupe.bench.Latency;
import io.troupe.bench.Log;
import io.troupe.bench.Memory;
import io.troupe.bench.Progress;
import io.troupe.bench.Results;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.llm.LlmGatewayActor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One "gateway alone" run, in a JVM of its own: {@code calls} concurrent model calls through
 * {@link LlmGatewayActor} (provider {@code openai} at the fake), with a connection pool of P and a
 * bulkhead of C. With {@code --mode bare}, the same calls through a bare Pekko HTTP client with the
 * same pool and at most C in flight: the ceiling the gateway is measured against.
 */
public final class GatewayBench {
  private GatewayBench() {}

  /**
   * Runs a callback on the thread that completes the future. The drivers attach every callback with
   * it, because the futures of Pekko's javadsl (Scala futures converted to Java) run even plain
   * callbacks asynchronously, on the common pool, which on 2 cores means a new thread per callback.
   */
  static final java.util.concurrent.Executor DIRECT = Runnable::run;

  /** Warm-up rounds: 50, 200, then the rest (at most 'total' calls in all). */
  static List<Integer> rampUp(int total) {
    List<Integer> rounds = new java.util.ArrayList<>();
    int left = total;
    for (int size : new int[] {50, 200}) {
      if (left > size) {
        rounds.add(size);
        left -= size;
      }
    }
    if (left > 0) {
      rounds.add(left);
    }
    return rounds;
  }

  static int nextPow2(int n) {
    int p = 1;
    while (p < n) {
      p <<= 1;
    }
    return p;
  }

  /** The troupe.llm settings of a run: openai at the fake, pool P, bulkhead C, queue for every call. */
  static Map<String, Object> llmOverrides(String url, int p, int c, int queued) {
    Map<String, Object> m = new HashMap<>();
    m.put("troupe.llm.provider", "openai");
    m.put("troupe.llm.model", "fake-model");
    m.put("troupe.llm.openai.base-url", url + "/v1");
    m.put("troupe.llm.openai.api-key", "");
    m.put("troupe.llm.openai.require-api-key", "false");
    m.put("troupe.llm.http.max-connections", p);
    m.put("troupe.llm.http.max-open-requests", nextPow2(Math.max(c, 1)));
    m.put("troupe.llm.resilience.providers.openai.bulkhead.max-concurrent", c);
    m.put("troupe.llm.resilience.providers.openai.bulkhead.max-queued", Math.max(queued, 1));
    return m;
  }

  static void main(Args args) throws Exception {
    String url = args.str("url", "http://127.0.0.1:8000");
    int calls = args.integer("calls", 10_000);
    int p = args.integer("p", 256);
    int c = args.integer("c", 256);
    int warmup = args.integer("warmup", 1000);
    long latencyMs = args.integer("latency-ms", 200);
    long timeoutS = args.integer("timeout-s", 300);
    double failRate = args.dbl("fail-rate", 0);
    String mode = args.str("mode", "gateway");
    String label = args.str("label", mode + "-p" + p + "-c" + c);
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/" + label + ".json"));

    Config config = ConfigFactory.parseMap(llmOverrides(url, p, c, calls + warmup))
        .withFallback(ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loglevel = WARNING",
            "pekko.log-dead-letters = 0")))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
    try {
      Caller caller;
      if (mode.equals("bare")) {
        caller = bareCaller(system, url, p, c);
      } else {
        ActorRef<LlmGateway.Command> gateway =
            system.systemActorOf(LlmGatewayActor.create(config.getConfig("troupe")), "llm-gateway", Props.empty());
        Lifecycle.Initialized init = AskPattern.<LlmGateway.Command, Lifecycle.Initialized>ask(
                gateway, Lifecycle.Init::new, Duration.ofSeconds(30), system.scheduler())
            .toCompletableFuture().get(40, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
        if (init.error() != null) {
          throw new IllegalStateException("gateway init failed: " + init.error());
        }
        caller = gatewayCaller(system, gateway);
      }
      Log.info("%s: P=%d C=%d, %d calls of %d ms (warm-up %d)", label, p, c, calls, latencyMs, warmup);
      // Warm-up in growing rounds: a cold JVM on a busy machine that opens C connections at once can
      // take longer than the connecting timeout (10 s), and the failures would open the breaker.
      for (int size : rampUp(warmup)) {
        drive(label + " warm-up " + size, caller, size, timeoutS, new Latency());
      }
      // The warm-up ran without faults; the fake's counts start again here.
      new FakeAdmin(url).configure(failRate, (int) latencyMs);
      double heapBefore = Memory.heapAfterGcMiB();
      Latency latency = new Latency();
      Outcome o = drive(label, caller, calls, timeoutS, latency);
      // What the fake saw during the measured calls, before the probe below.
      com.fasterxml.jackson.databind.JsonNode fakeStats = new FakeAdmin(url).stats();
      // The gateway's own added latency, without queueing: rounds of min(C, P) calls at once
      // (not under faults: retries and an open breaker are not the gateway's overhead).
      Latency probe = new Latency();
      int probeRounds = failRate > 0 ? 0 : args.integer("probe-rounds", 5);
      new FakeAdmin(url).configure(0, (int) latencyMs);
      for (int round = 0; round < probeRounds; round++) {
        drive(label + " probe " + (round + 1) + "/" + probeRounds, caller, Math.min(c, p), timeoutS, probe);
      }
      double idealS = Math.ceil((double) calls / Math.min(c, p)) * latencyMs / 1000.0;
      ObjectNode r = Json.object();
      r.put("kind", "gateway");
      r.put("mode", mode);
      r.put("label", label);
      r.put("p", p);
      r.put("c", c);
      r.put("calls", calls);
      r.put("failRate", failRate);
      r.put("latencyMs", latencyMs);
      r.put("wallS", o.wallS);
      r.put("idealS", idealS);
      r.put("wallOverIdeal", Results.round3(o.wallS / idealS));
      r.put("ok", o.ok);
      r.put("errors", o.errors);
      r.put("unfinished", o.unfinished);
      r.set("errorCodes", o.codes);
      ObjectNode total = latency.summaryMillis();
      r.set("latency", total);
      r.set("fake", fakeStats);
      ObjectNode probed = probe.summaryMillis();
      ObjectNode added = Json.object();
      added.put("count", probed.get("count").asLong());
      for (String k : List.of("p50Ms", "p90Ms", "p99Ms", "p999Ms", "maxMs")) {
        added.put(k, Results.round3(probed.get(k).asDouble() - latencyMs));
      }
      // End-to-end minus the fake's latency, at min(C, P) calls at once (no queue in front).
      if (probeRounds > 0) {
        r.set("addedLatency", added);
      }
      r.put("peakRssMiB", Results.round3(Memory.peakRssMiB()));
      r.put("heapAfterGcMiB", Results.round3(Memory.heapAfterGcMiB()));
      r.put("heapAfterGcBeforeRunMiB", Results.round3(heapBefore));
      r.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
      Results.write(out, r);
      Log.info("%s: wall %.2fs ideal %.2fs ratio %.3f, ok %d errors %d unfinished %d, added latency p50 %.1fms p99 %.1fms, peak RSS %.0f MiB",
          label, o.wallS, idealS, o.wallS / idealS, o.ok, o.errors, o.unfinished,
          probeRounds > 0 ? added.get("p50Ms").asDouble() : Double.NaN,
          probeRounds > 0 ? added.get("p99Ms").asDouble() : Double.NaN, Memory.peakRssMiB());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS); // blocking-ok: main thread
    }
  }

  /** One call: completes with null (ok) or an error code. Never fails. */
  interface Caller {
    CompletableFuture<String> call(int i);
  }

  private static Caller gatewayCaller(ActorSystem<?> system, ActorRef<LlmGateway.Command> gateway) {
    ChatRequest request = new ChatRequest("fake-model",
        List.of(ChatMessage.user("What is 17% of 2,340?")), List.of(), 0, false);
    Duration askTimeout = Duration.ofSeconds(600);
    return i -> AskPattern.<LlmGateway.Command, LlmGateway.ChatResult>ask(
            gateway, replyTo -> new LlmGateway.Chat(request, null, replyTo, null), askTimeout, system.scheduler())
        .handleAsync((res, failure) -> failure != null ? "ask_" + failure.getClass().getSimpleName()
            : res.isOk() ? null : res.failure().code().name(), DIRECT)
        .toCompletableFuture();
  }

  /** The ceiling: the same request through Pekko HTTP's pool with the same settings, no gateway. */
  private static Caller bareCaller(ActorSystem<?> system, String url, int p, int c) {
    Http http = Http.get(system);
    Materializer mat = Materializer.matFromSystem(system);
    ConnectionPoolSettings pool = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxConnections(p).withMaxOpenRequests(nextPow2(Math.max(c, 1))).withMaxRetries(0);
    byte[] body = ("{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"What is 17% of 2,340?\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.POST(url + "/v1/chat/completions").withEntity(ContentTypes.APPLICATION_JSON, body);
    // At most C in flight, like the bulkhead: a queue in front of the pool.
    BareLimiter limiter = new BareLimiter(c);
    return i -> limiter.submit(() -> http.singleRequest(request, http.defaultClientHttpsContext(), pool,
            system.classicSystem().log())
        .thenComposeAsync(resp -> resp.entity().toStrict(10_000, mat).thenApplyAsync(strict -> {
          // Parse it, as a provider would.
          try {
            Json.MAPPER.readTree(strict.getData().toArray());
          } catch (java.io.IOException e) {
            return "bare_malformed";
          }
          return resp.status().intValue() == 200 ? (String) null : "HTTP_" + resp.status().intValue();
        }, DIRECT), DIRECT)
        .handleAsync((v, t) -> t == null ? v : "bare_" + t.getClass().getSimpleName(), DIRECT)
        .toCompletableFuture());
  }

  record Outcome(double wallS, long ok, long errors, long unfinished, ObjectNode codes) {}

  static Outcome drive(String label, Caller caller, int n, long timeoutS, Latency latency) throws InterruptedException {
    CountDownLatch latch = new CountDownLatch(n);
    Map<String, Long> codes = new java.util.concurrent.ConcurrentHashMap<>();
    long start = System.nanoTime();
    try (Progress progress = new Progress(label, n)) {
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        progress.sent.incrementAndGet();
        caller.call(i).whenCompleteAsync((code, failure) -> {
          latency.recordMicros((System.nanoTime() - t0) / 1000);
          if (code != null || failure != null) {
            progress.errors.incrementAndGet();
            codes.merge(code != null ? code : failure.getClass().getSimpleName(), 1L, Long::sum);
          }
          progress.done.incrementAndGet();
          latch.countDown();
        }, DIRECT);
      }
      boolean all = latch.await(timeoutS, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
      double wall = (System.nanoTime() - start) / 1e9;
      long done = n - latch.getCount();
      long errors = progress.errors.get();
      ObjectNode codeNode = Json.object();
      codes.forEach(codeNode::put);
      if (!all) {
        Log.info("%s: %d of %d calls did not end within %ds", label, latch.getCount(), n, timeoutS);
      }
      return new Outcome(Results.round3(wall), done - errors, errors, latch.getCount(), codeNode);
    }
  }
}
