package io.troupe.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.ChildJvm;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.bench.Svg;
import io.troupe.core.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Issue 3's benchmark: starts the fake OpenAI server in a JVM of its own, then runs every
 * benchmark in a fresh child JVM (so that each one's peak RSS is its own), side by side in one
 * run, and writes results/gateway-*.json and results/gateway.html.
 */
public final class GatewaySuite {
  private GatewaySuite() {}

  /**
   * With 2 cores the JDK's common pool has a parallelism of 1, and CompletableFuture then runs every
   * async callback on a NEW THREAD (ThreadPerTaskExecutor). Scala's future-to-Java adapter (behind
   * Pekko's javadsl ask, Http.singleRequest and stream materialized values) turns even plain
   * callbacks into async ones, so each model call started several threads. This flag avoids it;
   * the suite measures one pair of runs without it ("-asShipped") to show the difference.
   */
  static final String POOL_FLAG = "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2";

  public static void fakeServer(Args args) throws Exception {
    FakeOpenAiServer.main(args);
  }

  /** {@code report --file results/gateway-<time>/suite.json}: writes its gateway.html again and prints the table. */
  public static void report(Args args) throws Exception {
    Path file = Path.of(args.str("file", "modules/troupe-bench/results/gateway-latest.json"));
    JsonNode suite = Results.read(file);
    Path html = file.resolveSibling(file.getFileName().toString().replace(".json", ".html"));
    Files.writeString(html, Report.html(suite));
    System.out.println(Report.markdown(suite));
    Log.info("wrote %s", html);
  }

  public static void gatewayRun(Args args) throws Exception {
    GatewayBench.main(args);
  }

  public static void sessionsRun(Args args) throws Exception {
    SessionBench.main(args);
  }

  public static void main(Args args) throws Exception {
    boolean quick = args.flag("quick");
    int calls = args.integer("calls", quick ? 1000 : 10_000);
    String pairs = args.str("pairs", quick ? "64:64,256:256" : "64:64,256:256,1024:1024");
    List<Integer> sessions = args.ints("sessions", quick ? "200" : "1000,10000");
    if (args.flag("big")) {
      sessions.add(100_000);
    }
    List<Integer> durable = args.ints("durable", quick ? "200" : "1000");
    // N = 0 means "skip this run" (as --faults-sessions 0 does): a run of no sessions would size the
    // node's pool at min(N, C) = 0 connections, which its HTTP client refuses.
    sessions.removeIf(n -> n <= 0);
    durable.removeIf(n -> n <= 0);
    int faultsCalls = args.integer("faults-calls", quick ? 1000 : 10_000);
    int faultsSessions = args.integer("faults-sessions", quick ? 200 : 10_000);
    int sessionC = args.integer("session-c", 256);
    int latencyMs = args.integer("latency-ms", 200);
    double failRate = args.dbl("fail-rate", 0.2);
    int timeoutS = args.integer("timeout-s", 300);
    String xmx = args.str("xmx", "768m");
    String bigXmx = args.str("big-xmx", "3g");
    boolean asShipped = !args.str("as-shipped", "true").equals("false");
    Path dir = Path.of(args.str("results", "modules/troupe-bench/results"));
    Files.createDirectories(dir);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path runDir = dir.resolve("gateway-" + stamp);
    Files.createDirectories(runDir);

    ObjectNode suite = Json.object();
    suite.put("suite", "gateway (issue 3)");
    suite.put("startedAt", Instant.now().toString());
    suite.put("cores", Runtime.getRuntime().availableProcessors());
    suite.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    suite.put("latencyMs", latencyMs);
    ArrayNode runs = suite.putArray("runs");

    Log.phase("gateway benchmark (issue 3): results in %s", runDir);
    Process fake = null;
    try {
      CompletableFuture<Integer> port = new CompletableFuture<>();
      fake = ChildJvm.start("1g", List.of(POOL_FLAG), List.of("fake-server", "--latency-ms", "" + latencyMs), line -> {
        if (line.startsWith("PORT ")) {
          port.complete(Integer.parseInt(line.substring(5).trim()));
        } else {
          System.out.println("   fake| " + line);
        }
      });
      String url = "http://127.0.0.1:" + port.get(60, TimeUnit.SECONDS); // blocking-ok: the driver
      Log.phase("fake OpenAI server (separate JVM, pid %d) on %s, latency %d ms", fake.pid(), url, latencyMs);
      FakeAdmin admin = new FakeAdmin(url);

      // 1. The gateway alone, against the bare Pekko HTTP client with the same pool, pair by pair.
      List<int[]> pcs = new ArrayList<>();
      for (String pair : pairs.equals("none") ? new String[0] : pairs.split(",")) {
        String[] pc = pair.trim().split(":");
        pcs.add(new int[] {Integer.parseInt(pc[0]), Integer.parseInt(pc[1])});
      }
      for (int[] pc : pcs) {
        for (String mode : List.of("bare", "gateway")) {
          String label = mode + "-p" + pc[0] + "-c" + pc[1];
          Log.phase("%s: %d calls, P=%d, C=%d", label, calls, pc[0], pc[1]);
          admin.configure(0, latencyMs);
          runs.add(child(xmx, runDir, label, admin, timeoutS, List.of("gateway-run", "--mode", mode, "--url", url,
              "--calls", "" + calls, "--p", "" + pc[0], "--c", "" + pc[1], "--latency-ms", "" + latencyMs,
              "--timeout-s", "" + timeoutS)));
        }
      }
      // The same, as shipped: without the common-pool flag (see POOL_FLAG).
      if (asShipped && !pcs.isEmpty()) {
        int[] pc = pcs.get(Math.min(1, pcs.size() - 1));
        String label = "gateway-p" + pc[0] + "-c" + pc[1] + "-asShipped";
        Log.phase("%s: %d calls, P=%d, C=%d, without %s", label, calls, pc[0], pc[1], POOL_FLAG);
        admin.configure(0, latencyMs);
        runs.add(child(xmx, List.of(), runDir, label, admin, timeoutS, List.of("gateway-run", "--mode", "gateway",
            "--url", url, "--calls", "" + calls, "--p", "" + pc[0], "--c", "" + pc[1], "--latency-ms", "" + latencyMs,
            "--timeout-s", "" + timeoutS)));
      }
      // 2. Whole sessions, in-memory journal, then durable (H2).
      for (int n : sessions) {
        runs.add(sessionRun(n >= 100_000 ? bigXmx : xmx, runDir, "sessions-inmem-n" + n, admin, url, n, sessionC,
            "inmem", latencyMs, 0, timeoutS));
      }
      if (asShipped && !sessions.isEmpty()) {
        int n = sessions.get(0);
        runs.add(sessionRun(xmx, List.of(), runDir, "sessions-inmem-n" + n + "-asShipped", admin, url, n, sessionC,
            "inmem", latencyMs, 0, timeoutS));
      }
      for (int n : durable) {
        runs.add(sessionRun(xmx, runDir, "sessions-h2-n" + n, admin, url, n, sessionC, "h2", latencyMs, 0, timeoutS));
      }
      // 3. Under faults: 20% of responses are 429 (Retry-After: 0) or 500.
      if (faultsCalls > 0 && !pcs.isEmpty()) {
        int[] pc = pcs.get(Math.min(1, pcs.size() - 1));
        String label = "faults-gateway-p" + pc[0] + "-c" + pc[1];
        Log.phase("%s: %d calls, %.0f%% of responses 429 or 500", label, faultsCalls, failRate * 100);
        admin.configure(0, latencyMs);
        runs.add(child(xmx, runDir, label, admin, timeoutS, List.of("gateway-run", "--mode", "gateway", "--url", url,
            "--calls", "" + faultsCalls, "--p", "" + pc[0], "--c", "" + pc[1], "--latency-ms", "" + latencyMs,
            "--timeout-s", "" + timeoutS, "--fail-rate", "" + failRate, "--label", label)));
      }
      if (faultsSessions > 0) {
        runs.add(sessionRun(xmx, runDir, "faults-sessions-inmem-n" + faultsSessions, admin, url, faultsSessions,
            sessionC, "inmem", latencyMs, failRate, timeoutS));
      }
    } finally {
      if (fake != null) {
        fake.getOutputStream().close(); // the fake stops when its stdin closes
        if (!fake.waitFor(20, TimeUnit.SECONDS)) {
          fake.destroyForcibly();
        }
      }
    }
    suite.put("finishedAt", Instant.now().toString());
    Results.write(runDir.resolve("suite.json"), suite);
    Results.write(dir.resolve("gateway-latest.json"), suite);
    String html = Report.html(suite);
    Files.writeString(runDir.resolve("gateway.html"), html);
    Files.writeString(dir.resolve("gateway-latest.html"), html);
    Log.phase("summary (also in %s)", runDir.resolve("gateway.html"));
    System.out.println(Report.markdown(suite));
  }

  private static JsonNode sessionRun(String xmx, Path runDir, String label, FakeAdmin admin, String url, int n, int c,
      String journal, int latencyMs, double failRate, int timeoutS) throws Exception {
    return sessionRun(xmx, List.of(POOL_FLAG), runDir, label, admin, url, n, c, journal, latencyMs, failRate, timeoutS);
  }

  private static JsonNode sessionRun(String xmx, List<String> jvmFlags, Path runDir, String label, FakeAdmin admin,
      String url, int n, int c, String journal, int latencyMs, double failRate, int timeoutS) throws Exception {
    int cc = Math.min(n, c);
    Log.phase("%s: %d sessions (model → 2 tools → model), journal %s, P=C=%d%s", label, n, journal, cc,
        failRate > 0 ? String.format(Locale.ROOT, ", %.0f%% of responses 429 or 500", failRate * 100) : "");
    admin.configure(0, latencyMs);
    List<String> a = new ArrayList<>(List.of("sessions-run", "--url", url, "--n", "" + n, "--c", "" + cc,
        "--journal", journal, "--latency-ms", "" + latencyMs, "--timeout-s", "" + timeoutS, "--label", label,
        "--fail-rate", "" + failRate));
    return child(xmx, jvmFlags, runDir, label, admin, timeoutS, a);
  }

  /** Runs one child JVM; its result, with the fake's counts and the JVM's settings, or a failure record. */
  private static JsonNode child(String xmx, Path runDir, String label, FakeAdmin admin, int timeoutS, List<String> args)
      throws Exception {
    return child(xmx, List.of(POOL_FLAG), runDir, label, admin, timeoutS, args);
  }

  private static JsonNode child(String xmx, List<String> jvmFlags, Path runDir, String label, FakeAdmin admin, int timeoutS,
      List<String> args) throws Exception {
    Path out = runDir.resolve(label + ".json");
    List<String> a = new ArrayList<>(args);
    a.addAll(List.of("--out", out.toString()));
    if (!a.contains("--label")) {
      a.addAll(List.of("--label", label));
    }
    long t0 = System.nanoTime();
    int rc = ChildJvm.run(xmx, jvmFlags, a, timeoutS * 2L + 180);
    ObjectNode r;
    if (Files.exists(out)) {
      r = (ObjectNode) Results.read(out);
    } else {
      r = Json.object().put("label", label).put("failed", "child JVM ended with " + rc + " and no result");
    }
    r.put("xmx", xmx);
    r.put("jvmFlags", String.join(" ", jvmFlags));
    r.put("childExit", rc);
    r.put("childSeconds", Results.round3((System.nanoTime() - t0) / 1e9));
    if (!r.has("fake")) {
      r.set("fake", admin.stats());
    }
    Results.write(out, r);
    return r;
  }
}
