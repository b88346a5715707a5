package io.troupe.bench.fanout;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.Log;
import io.troupe.bench.Memory;
import io.troupe.bench.Progress;
import io.troupe.bench.Results;
import io.troupe.bench.gateway.SessionBench;
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.trace.TraceStore;
import io.troupe.node.TroupeNode;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One fan-out run, in a JVM of its own: N sessions, each S steps of (a model call of L ms, then F
 * parallel tool calls). {@code impl=troupe}: a node in this JVM, sessions through Cluster Sharding,
 * the {@code local} provider, guardrail and traces on, the journal in memory or in H2.
 * {@code impl=bare}: {@link BarePekko}. Writes one JSON result.
 *
 * <p>{@code --journal postgres}: the node's database, and so its journal, is a fresh database
 * {@code troupe_fanout_<random>} on the PostgreSQL server at {@code --pg-url} (default
 * 127.0.0.1:5432, user postgres), created before the run and dropped after it.
 *
 * <p>Intents are counted as {@code succeeded}, {@code failed} (a terminal answer other than
 * success, or an error) and {@code unfinished} (no terminal answer when {@code --timeout-s} passed).
 * {@code heapPerSessionKiB}: the heap after a full GC with every session of the run alive, less the
 * heap after a full GC just before the run's submissions (after the warm-up), over N. Both are taken
 * once the trace store has written its queue ({@code traceFlushSeconds}: how long that took after the run).
 * {@code sessionHeapKiB}: what the sessions themselves hold, the heap with every session of the run
 * alive less the heap once they have passivated, over N; the memory guard of CI's smoke reads it.
 */
public final class FanoutRun {
  private FanoutRun() {}

  private static final Executor DIRECT = Runnable::run;

  public static void main(Args args) throws Exception {
    String impl = args.str("impl", "troupe");
    dumpSteps = args.flag("dump-steps");
    heapProbe = args.flag("heap-probe");
    floorTurnWrites = !args.flag("floor-no-turn-writes");
    int n = args.integer("n", 1000);
    int steps = args.integer("steps", 5);
    int tools = args.integer("tools", 3);
    int latencyMs = args.integer("latency-ms", 200);
    String journal = args.str("journal", "inmem");
    if (!List.of("inmem", "h2", "postgres").contains(journal)) {
      throw new IllegalArgumentException("--journal inmem|h2|postgres, not '" + journal + "'");
    }
    pgUrl = args.str("pg-url", DEFAULT_PG_URL);
    pgUser = args.str("pg-user", "postgres");
    pgPassword = args.str("pg-password", "");
    long timeoutS = args.integer("timeout-s", 600);
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/fanout-" + impl + "-" + journal + "-n" + n + ".json"));
    // S steps of one model call and F tools, then the model call that answers: (S + 1) x L.
    double idealS = (steps + 1) * latencyMs / 1000.0;

    ObjectNode res = Json.object();
    res.put("impl", impl.equals("bare") ? impl : impl + "-" + journal);
    res.put("n", n).put("steps", steps).put("tools", tools).put("latencyMs", latencyMs).put("idealS", idealS);
    Outcome r = switch (impl) {
      case "bare" -> bare(n, steps, tools, latencyMs, timeoutS);
      case "bare-journaled" -> bareJournaled(n, steps, tools, latencyMs, journal, timeoutS, res);
      case "troupe" -> troupe(n, steps, tools, latencyMs, journal, timeoutS, res);
      default -> throw new IllegalArgumentException("--impl troupe|bare|bare-journaled, not '" + impl + "'");
    };
    res.put("wallS", Results.round3(r.wallS));
    res.put("wallOverIdeal", Results.round3(r.wallS / idealS));
    res.put("startSeconds", Results.round3(r.startS));
    res.put("succeeded", r.ok);
    res.put("failed", r.failed);
    res.put("unfinished", r.unfinished);
    res.put("intentsPerSecond", Results.round3(r.ok / r.wallS));
    res.put("cpuSeconds", Results.round3(r.cpuS));
    res.put("cpuMsPerIntent", Results.round3(r.cpuS * 1000 / n));
    res.put("peakRssMiB", Results.round3(Memory.peakRssMiB()));
    // With every session (or actor) of the run still alive, after a full GC.
    res.put("heapAfterGcMiB", Results.round3(r.liveHeapMiB));
    // After the warm-up, just before the run's first submission (or spawn), after a full GC.
    res.put("heapBeforeRunMiB", Results.round3(r.baseHeapMiB));
    res.put("heapPerSessionKiB", Results.round3((r.liveHeapMiB - r.baseHeapMiB) * 1024 / n));
    res.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    Results.write(out, res);
    Log.info("%s n=%d: wall %.2fs (ideal %.2fs) ratio %.3f, CPU %.2f ms/intent, ok %d failed %d unfinished %d, "
            + "peak RSS %.0f MiB, heap after GC %.0f MiB (%.0f MiB before the run: %.1f KiB a session)",
        res.get("impl").asText(), n, r.wallS, idealS, r.wallS / idealS, r.cpuS * 1000 / n, r.ok, r.failed, r.unfinished,
        res.get("peakRssMiB").asDouble(), res.get("heapAfterGcMiB").asDouble(), res.get("heapBeforeRunMiB").asDouble(),
        res.get("heapPerSessionKiB").asDouble());
  }

  private static boolean floorTurnWrites = true;

  static final String DEFAULT_PG_URL = "jdbc:postgresql://127.0.0.1:5432/";
  private static String pgUrl = DEFAULT_PG_URL;
  private static String pgUser = "postgres";
  private static String pgPassword = "";

  /**
   * ok + failed + unfinished = N. liveHeapMiB: after a full GC with every session alive; baseHeapMiB:
   * after a full GC just before the run's first submission.
   */
  private record Outcome(double wallS, double startS, long ok, long failed, long unfinished, double cpuS,
      double liveHeapMiB, double baseHeapMiB) {
    Outcome withHeap(double liveMiB, double baseMiB) {
      return new Outcome(wallS, startS, ok, failed, unfinished, cpuS, liveMiB, baseMiB);
    }
  }

  /** CPU time of this process, every thread (JIT and GC included), in seconds. */
  static double processCpuSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : 0;
  }

  private static Outcome bare(int n, int steps, int tools, int latencyMs, long timeoutS) throws Exception {
    CountDownLatch done = new CountDownLatch(n);
    Duration latency = Duration.ofMillis(latencyMs);
    // Warm the JIT on a small run first, as the Troupe run does.
    runBare(Math.min(n, 2000), steps, tools, latency, timeoutS, new CountDownLatch(Math.min(n, 2000)), "bare warm-up");
    return runBare(n, steps, tools, latency, timeoutS, done, "bare");
  }

  private static Outcome runBare(int n, int steps, int tools, Duration latency, long timeoutS, CountDownLatch done,
      String label) throws Exception {
    long[] startedAt = new long[1];
    double[] spawnS = new double[1];
    // The tools start with the system; the sessions on "go", once the heap before the run is measured.
    Behavior<String> guardian = Behaviors.setup(ctx -> {
      List<ActorRef<BarePekko.Call>> toolRefs = new ArrayList<>();
      for (int i = 0; i < tools; i++) toolRefs.add(ctx.spawn(BarePekko.tool(), "tool-" + i));
      return Behaviors.receive(String.class).onMessageEquals("go", () -> {
        startedAt[0] = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ctx.spawn(BarePekko.session(steps, latency, toolRefs, done), "s-" + i).tell(new BarePekko.Start());
        }
        spawnS[0] = (System.nanoTime() - startedAt[0]) / 1e9;
        return Behaviors.empty();
      }).build();
    });
    double cpuAtStart = processCpuSeconds();
    ActorSystem<String> system = ActorSystem.create(guardian, "bare",
        com.typesafe.config.ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.actor.provider = local"));
    double cpuBeforeGc = processCpuSeconds();
    double baseHeapMiB = Memory.settledHeapAfterGcMiB();
    cpuAtStart += processCpuSeconds() - cpuBeforeGc; // the measuring GC is not the run's CPU
    system.tell("go");
    try (Progress progress = new Progress(label, n)) {
      progress.extra(() -> "");
      Thread watcher = new Thread(() -> {
        while (done.getCount() > 0) {
          progress.done.set(n - done.getCount());
          try {
            Thread.sleep(200); // blocking-ok: the driver's progress thread
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      watcher.setDaemon(true);
      watcher.start();
      done.await(timeoutS, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
      double wall = (System.nanoTime() - startedAt[0]) / 1e9;
      long unfinished = done.getCount(); // a bare session cannot fail: it ends, or not
      Outcome outcome = new Outcome(wall, spawnS[0], n - unfinished, 0, unfinished, processCpuSeconds() - cpuAtStart, 0, 0);
      return outcome.withHeap(Memory.settledHeapAfterGcMiB(), baseHeapMiB); // the session actors are still alive
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // blocking-ok: main thread
    }
  }

  /**
   * {@link BareJournaled}: the bare workload, journaled at each resume point, in a Troupe node's actor
   * system so that the journal and its serializer are Troupe's own.
   */
  private static Outcome bareJournaled(int n, int steps, int tools, int latencyMs, String journal, long timeoutS,
      ObjectNode res) throws Exception {
    String pgDatabase = journal.equals("postgres") ? createPostgresDatabase() : null;
    try {
      TroupeNode.Running node = TroupeNode.start(nodeOptions(n, steps, tools, latencyMs, journal, timeoutS, pgDatabase));
      ActorSystem<RuntimeSupervisor.Command> system = node.system();
      try {
        SessionBench.awaitReady(system, Duration.ofSeconds(180));
        Duration latency = Duration.ofMillis(latencyMs);
        int warm = Math.min(n, 2000);
        runJournaled(system, "warm", warm, steps, tools, latency, timeoutS, "bare-journaled warm-up");
        double baseHeapMiB = Memory.settledHeapAfterGcMiB();
        Outcome outcome = runJournaled(system, "s", n, steps, tools, latency, timeoutS, "bare-journaled-" + journal);
        return outcome.withHeap(Memory.settledHeapAfterGcMiB(), baseHeapMiB);
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // blocking-ok: main thread
      }
    } finally {
      if (pgDatabase != null) dropPostgresDatabase(pgDatabase);
    }
  }

  private static Outcome runJournaled(ActorSystem<?> system, String prefix, int n, int steps, int tools,
      Duration latency, long timeoutS, String label) throws Exception {
    CountDownLatch done = new CountDownLatch(n);
    long[] startedAt = new long[1];
    Behavior<String> driver = Behaviors.setup(ctx -> {
      List<ActorRef<BarePekko.Call>> toolRefs = new ArrayList<>();
      for (int i = 0; i < tools; i++) toolRefs.add(ctx.spawn(BarePekko.tool(), "tool-" + i));
      return Behaviors.receive(String.class).onMessageEquals("go", () -> {
        startedAt[0] = System.nanoTime();
        for (int i = 0; i < n; i++) {
          String id = prefix + "-" + i;
          ctx.spawn(BareJournaled.session(id, steps, latency, toolRefs, floorTurnWrites, done), id).tell(new BarePekko.Start());
        }
        return Behaviors.empty();
      }).build();
    });
    double cpuAtStart = processCpuSeconds();
    ActorRef<String> go = system.systemActorOf(driver, "bare-journaled-" + prefix, org.apache.pekko.actor.typed.Props.empty());
    go.tell("go");
    try (Progress progress = new Progress(label, n)) {
      progress.sent.set(n);
      while (!done.await(200, TimeUnit.MILLISECONDS)) { // blocking-ok: the driver's main thread
        progress.done.set(n - done.getCount());
        if (startedAt[0] != 0 && System.nanoTime() - startedAt[0] > TimeUnit.SECONDS.toNanos(timeoutS)) break;
      }
      double wall = (System.nanoTime() - startedAt[0]) / 1e9;
      long unfinished = done.getCount();
      return new Outcome(wall, 0, n - unfinished, 0, unfinished, processCpuSeconds() - cpuAtStart, 0, 0);
    }
  }

  /** The node's configuration for a fan-out run: room for every session, and the chosen journal. */
  private static Map<String, Object> nodeOptions(int n, int steps, int tools, int latencyMs, String journal,
      long timeoutS, String pgDatabase) throws java.io.IOException {
    Path dataDir = Files.createTempDirectory("troupe-fanout-");
    Map<String, Object> o = new HashMap<>();
    o.put("troupe.http.port", 0);
    o.put("troupe.data-dir", dataDir.toString());
    o.put("troupe.cluster.seeds", "");
    o.put("pekko.coordinated-shutdown.exit-jvm", "off");
    o.put("pekko.loglevel", "WARNING");
    o.put("pekko.log-dead-letters", 0);
    o.put("troupe.vector-store.embedder", "hashing");
    o.put("troupe.llm.local.latency", latencyMs + "ms");
    // Every session waits on the model at the same moments: room for all of them.
    o.put("troupe.llm.resilience.providers.local.bulkhead.max-concurrent", Math.max(100_000, 2 * n));
    o.put("troupe.llm.resilience.providers.local.bulkhead.max-queued", Math.max(100_000, 2 * n));
    // The calculator only computes: its bulkhead need not bound it here.
    o.put("troupe.tools.defaults.max-concurrent", Math.max(16, tools * n));
    o.put("troupe.tools.defaults.max-queue", Math.max(64, tools * n));
    o.put("troupe.agent.max-steps", steps + 2);
    o.put("troupe.agent.deadline", timeoutS + "s");
    o.put("troupe.agent.model-timeout", timeoutS + "s");
    o.put("troupe.agent.tool-timeout", timeoutS + "s");
    o.put("troupe.agent.guardrail-timeout", timeoutS + "s");
    o.put("troupe.agent.subsystem-timeout", timeoutS + "s");
    o.put("troupe.llm.call-timeout", timeoutS + "s");
    o.put("troupe.llm.total-timeout", (timeoutS + 5) + "s");
    o.put("troupe.http.limits.max-intents-in-flight", 0);
    if (journal.equals("inmem")) {
      o.put("pekko.persistence.journal.plugin", "pekko.persistence.journal.inmem");
      o.put("pekko.persistence.snapshot-store.plugin", "pekko.persistence.no-snapshot-store");
    }
    // h2: the node's default, an H2 file in the data directory, the journal in it.
    if (pgDatabase != null) {
      // The keys that TROUPE_DB_URL, TROUPE_DB_USER and TROUPE_DB_PASSWORD set (config/troupe.conf).
      o.put("troupe.database.url", pgUrl + pgDatabase);
      o.put("troupe.database.user", pgUser);
      o.put("troupe.database.password", pgPassword);
    }
    return o;
  }

  private static Outcome troupe(int n, int steps, int tools, int latencyMs, String journal, long timeoutS, ObjectNode res)
      throws Exception {
    String pgDatabase = journal.equals("postgres") ? createPostgresDatabase() : null;
    if (pgDatabase != null) res.put("pgDatabase", pgDatabase);
    try {
      TroupeNode.Running node = TroupeNode.start(nodeOptions(n, steps, tools, latencyMs, journal, timeoutS, pgDatabase));
      ActorSystem<RuntimeSupervisor.Command> system = node.system();
      try {
        SessionBench.awaitReady(system, Duration.ofSeconds(180));
        ClusterSharding sharding = ClusterSharding.get(system);
        String text = "fan out " + steps + " steps of " + tools + " tools";
        drive(sharding, "warm", Math.min(n, 2000), text, timeoutS, "troupe warm-up");
        TraceStore.get(system).flush().toCompletableFuture().get(300, TimeUnit.SECONDS); // blocking-ok: main thread
        double baseHeapMiB = Memory.settledHeapAfterGcMiB(); // the warm-up's sessions stay: they are in both
        Outcome outcome = drive(sharding, "s", n, text, timeoutS, "troupe-" + journal);
        // The traces still queued for the database are not what a session keeps: written first.
        long flushStart = System.nanoTime();
        TraceStore traces = TraceStore.get(system);
        traces.flush().toCompletableFuture().get(300, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
        res.put("traceFlushSeconds", Results.round3((System.nanoTime() - flushStart) / 1e9));
        res.put("tracesDropped", traces.stats().dropped());
        outcome = outcome.withHeap(Memory.settledHeapAfterGcMiB(), baseHeapMiB); // every session still in memory
        if (dumpSteps) {
          dumpSteps(sharding, "s-0");
          dumpSteps(sharding, "s-" + (n - 1));
        }
        // What the sessions themselves hold: the heap with them alive, less the heap once they have
        // passivated (caches, the trace store's window and, in memory, the journal stay in both).
        if (heapProbe) {
          Log.info("heap with the run's sessions alive:");
          printHistogram();
        }
        long passivateStart = System.nanoTime();
        int left = passivate(system, sharding, "s", n);
        res.put("passivateSeconds", Results.round3((System.nanoTime() - passivateStart) / 1e9));
        res.put("sessionsNotPassivated", left);
        if (heapProbe) {
          Log.info("heap once they have passivated:");
          printHistogram();
        }
        double goneHeapMiB = Memory.settledHeapAfterGcMiB();
        res.put("heapAfterPassivationMiB", Results.round3(goneHeapMiB));
        res.put("sessionHeapKiB", Results.round3((outcome.liveHeapMiB() - goneHeapMiB) * 1024 / n));
        return outcome;
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // blocking-ok: main thread
      }
    } finally {
      if (pgDatabase != null) dropPostgresDatabase(pgDatabase);
    }
  }

  /**
   * Asks the run's sessions to passivate (they are idle) and waits, bounded, until the shard region
   * no longer holds them. Returns how many are still there.
   */
  private static int passivate(ActorSystem<?> system, ClusterSharding sharding, String prefix, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      sharding.entityRefFor(SessionEntity.TYPE_KEY, prefix + "-" + i).tell(new SessionEntity.PassivateIfIdle());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int left;
    do {
      ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
              sharding.shardState(), replyTo -> new GetShardRegionState(SessionEntity.TYPE_KEY, replyTo),
              Duration.ofSeconds(10), system.scheduler())
          .toCompletableFuture().get(15, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
      left = 0;
      for (ShardRegion.ShardState shard : state.getShards()) {
        for (String id : shard.getEntityIds()) {
          if (id.startsWith(prefix + "-")) left++;
        }
      }
      if (left > 0) Thread.sleep(200); // blocking-ok: the driver's main thread, polling
    } while (left > 0 && System.nanoTime() < deadline);
    return left;
  }

  /** A connection to the server's {@code postgres} database, as the administrator that creates and drops. */
  static Connection postgresAdmin(String url, String user, String password) throws SQLException {
    return DriverManager.getConnection(url + "postgres", user, password);
  }

  /** A fresh database {@code troupe_fanout_<random>} for one run. */
  private static String createPostgresDatabase() throws SQLException {
    String name = "troupe_fanout_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection admin = postgresAdmin(pgUrl, pgUser, pgPassword); Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new SQLException("PostgreSQL at " + pgUrl + " (user " + pgUser + "): could not create the database "
          + name + ": " + e.getMessage(), e);
    }
    Log.info("PostgreSQL: created database %s at %s", name, pgUrl);
    return name;
  }

  /** Drops the run's database (WITH (FORCE): a connection the node's pools left open does not keep it). */
  private static void dropPostgresDatabase(String name) {
    try (Connection admin = postgresAdmin(pgUrl, pgUser, pgPassword); Statement st = admin.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      Log.info("PostgreSQL: dropped database %s", name);
    } catch (SQLException e) {
      Log.info("PostgreSQL: could not drop database %s (drop it by hand): %s", name, e.getMessage());
    }
  }

  static boolean dumpSteps;
  static boolean heapProbe; // a class histogram when half the intents have ended (it stops the world)
  static long runStartEpochNanos;

  /** The heap's biggest classes, after the full GC the histogram makes. */
  private static void printHistogram() {
    try {
      var server = ManagementFactory.getPlatformMBeanServer();
      var name = new ObjectName("com.sun.management:type=DiagnosticCommand");
      String histogram = (String) server.invoke(name, "gcClassHistogram", new Object[] {new String[0]},
          new String[] {String[].class.getName()});
      histogram.lines().limit(30).forEach(line -> Log.info("  heap %s", line));
    } catch (Exception e) {
      Log.info("heap probe failed: %s", e);
    }
  }

  /** Where the time of one intent went: each step's start (from the intent's first) and duration. */
  private static void dumpSteps(ClusterSharding sharding, String sessionId) throws Exception {
    IntentView v = sharding.entityRefFor(SessionEntity.TYPE_KEY, sessionId)
        .<StatusReply<IntentView>>ask(replyTo -> new SessionEntity.Get(sessionId + ".1", replyTo), Duration.ofSeconds(10))
        .toCompletableFuture().get(15, TimeUnit.SECONDS).getValue(); // blocking-ok: the driver's main thread
    long t0 = v.createdNanos();
    Log.info("%s: created %.1f ms after the run started", sessionId, (t0 - runStartEpochNanos) / 1e6);
    for (var step : v.steps()) {
      Log.info("  %-10s %-24s start %8.1f ms  took %8.1f ms", step.kind(), step.name(),
          (step.startNanos() - t0) / 1e6, (step.endNanos() - step.startNanos()) / 1e6);
    }
  }

  private static Outcome drive(ClusterSharding sharding, String prefix, int n, String text, long timeoutS, String label)
      throws InterruptedException {
    // The asks outlast the run's timeout, so that an intent still running then is counted as unfinished
    // (when the counts close), not as an ask that failed.
    Duration ask = Duration.ofSeconds(timeoutS + 60);
    Object countsLock = new Object();
    boolean[] closed = new boolean[1]; // under countsLock: answers after the timeout are not counted
    long[] okFailed = new long[2]; // under countsLock
    CountDownLatch latch = new CountDownLatch(n);
    Map<String, Long> codes = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    double cpuAtStart = processCpuSeconds();
    runStartEpochNanos = TraceClock.nowEpochNanos();
    long[] finishedAt = new long[n];
    AtomicInteger finishedCount = new AtomicInteger();
    double submittedS;
    try (Progress progress = new Progress(label, n)) {
      for (int i = 0; i < n; i++) {
        progress.sent.incrementAndGet();
        EntityRef<SessionEntity.Command> session = sharding.entityRefFor(SessionEntity.TYPE_KEY, prefix + "-" + i);
        // Asks.onReplyingThread: the Java API's stages would start a thread per callback on 2 cores.
        Asks.onReplyingThread(session.<StatusReply<IntentView>>ask(
                replyTo -> new SessionEntity.Submit(text, null, null, replyTo), ask))
            .thenComposeAsync(reply -> reply.isError()
                ? CompletableFuture.completedFuture("submit")
                : Asks.onReplyingThread(session.<StatusReply<IntentView>>ask(
                        replyTo -> new SessionEntity.AwaitTerminal(reply.getValue().id(), replyTo), ask))
                    .thenApply(done -> done.isSuccess() && done.getValue().status() == IntentStatus.SUCCEEDED
                        ? null
                        : done.isError() ? "await" : done.getValue().outcome().errorCode()), DIRECT)
            .handle((code, failure) -> failure != null ? "ask_" + failure.getClass().getSimpleName() : code)
            .thenAccept(code -> {
              synchronized (countsLock) {
                if (!closed[0]) okFailed[code == null ? 0 : 1]++;
              }
              if (code != null) {
                progress.errors.incrementAndGet();
                codes.merge(code, 1L, Long::sum);
              }
              progress.done.incrementAndGet();
              int k = finishedCount.getAndIncrement();
              if (heapProbe && k == n / 2 && !label.endsWith("warm-up")) {
                Thread probe = new Thread(FanoutRun::printHistogram, "heap-probe");
                probe.setDaemon(true);
                probe.start();
              }
              if (k < n) finishedAt[k] = System.nanoTime() - start;
              latch.countDown();
            });
      }
      submittedS = (System.nanoTime() - start) / 1e9;
      latch.await(timeoutS, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
      double wall = (System.nanoTime() - start) / 1e9;
      long ok;
      long failed;
      synchronized (countsLock) {
        closed[0] = true;
        ok = okFailed[0];
        failed = okFailed[1];
      }
      long unfinished = n - ok - failed;
      if (!codes.isEmpty()) Log.info("%s: errors %s", label, codes);
      if (unfinished > 0) {
        Log.info("%s: %d of %d intents had no terminal answer after %ds (unfinished)", label, unfinished, n, timeoutS);
      }
      int m = Math.min(n, finishedCount.get());
      if (m > 0) {
        long[] sorted = Arrays.copyOf(finishedAt, m);
        Arrays.sort(sorted);
        Log.info("%s: intents ended at p1 %.2fs, p10 %.2fs, p50 %.2fs, p90 %.2fs, last %.2fs", label,
            sorted[m / 100] / 1e9, sorted[m / 10] / 1e9, sorted[m / 2] / 1e9, sorted[m * 9 / 10] / 1e9, sorted[m - 1] / 1e9);
      }
      return new Outcome(wall, submittedS, ok, failed, unfinished, processCpuSeconds() - cpuAtStart, 0, 0);
    }
  }
}
