package io.troupe.bench.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.ChildJvm;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.core.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/bench fanout}: the fan-out workload at each N, side by side in one run: Troupe with the
 * journal in memory, Troupe with the H2 journal (at {@code --durable-n}), Troupe with its database and
 * journal on PostgreSQL (at {@code --pg-n}; skipped, with a message, when the server does not
 * answer), the bare Pekko program, the same program journaled as often on the same journal (the
 * floor under each Troupe run; {@code --skip-floor} leaves it out), and Python asyncio. Each run is a process of its own. Writes
 * suite.json, a Markdown table and two PNG plots (gnuplot).
 *
 * <p>Exits non-zero when any run has unfinished intents (no terminal answer at its timeout). The
 * smoke also runs a memory guard: one Troupe in-memory run at {@code --heap-guard-n} (2,000) with a
 * short model latency, failing when its heap per session exceeds {@code --max-heap-per-session-kib}.
 */
public final class FanoutSuite {
  private FanoutSuite() {}

  public static void main(Args args) throws Exception {
    boolean smoke = args.flag("smoke"); // CI: a tiny N, every implementation, failing on any error
    List<Integer> ns = args.ints("n", smoke ? "50" : "1000,10000,100000");
    if (args.flag("million")) ns.add(1_000_000);
    List<Integer> durable = args.ints("durable-n", smoke ? "50" : "1000,10000");
    List<Integer> pgNs = args.ints("pg-n", "");
    String pgUrl = args.str("pg-url", FanoutRun.DEFAULT_PG_URL);
    String pgUser = args.str("pg-user", "postgres");
    // The smoke's memory guard: the heap a session of a Troupe in-memory run holds (0 KiB: measured, not enforced).
    double maxHeapKiB = args.dbl("max-heap-per-session-kib", 8);
    int guardN = args.integer("heap-guard-n", smoke ? 2000 : 0);
    int guardLatencyMs = args.integer("heap-guard-latency-ms", 20);
    int steps = args.integer("steps", 5);
    int tools = args.integer("tools", 3);
    int latencyMs = args.integer("latency-ms", 200);
    int timeoutS = args.integer("timeout-s", 900);
    boolean python = !args.flag("skip-python");
    // The floor under Troupe's journaled runs: the bare workload, journaled as often, on the same journal.
    boolean floor = !args.flag("skip-floor");
    Path dir = Path.of(args.str("results", "modules/troupe-bench/results"));
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path runDir = dir.resolve("fanout-" + stamp);
    Files.createDirectories(runDir);
    Log.info("fan-out: N=%s (durable %s, PostgreSQL %s), S=%d steps, F=%d tools, L=%d ms; results in %s", ns, durable,
        pgNs, steps, tools, latencyMs, runDir);
    String pgSkipped = null;
    if (!pgNs.isEmpty()) {
      pgSkipped = postgresUnreachable(pgUrl, pgUser, args.str("pg-password", ""));
      if (pgSkipped != null) {
        Log.info("fan-out: PostgreSQL is not reachable at %s (user %s): skipping the troupe-postgres runs (%s)", pgUrl,
            pgUser, pgSkipped);
      }
    }
    List<String> pgArgs = List.of("--impl", "troupe", "--journal", "postgres", "--pg-url", pgUrl, "--pg-user", pgUser,
        "--pg-password", args.str("pg-password", ""));

    ArrayNode all = Json.array();
    for (int n : ns) {
      String xmx = n >= 1_000_000 ? args.str("xmx-1m", "12g") : n >= 100_000 ? args.str("xmx-100k", "8g") : "1g";
      List<String> common = List.of("--n", "" + n, "--steps", "" + steps, "--tools", "" + tools, "--latency-ms",
          "" + latencyMs, "--timeout-s", "" + timeoutS);
      run(all, runDir, "bare", n, xmx, common, List.of("--impl", "bare"), timeoutS);
      if (floor) {
        run(all, runDir, "bare-journaled-inmem", n, xmx, common, List.of("--impl", "bare-journaled", "--journal", "inmem"), timeoutS);
      }
      run(all, runDir, "troupe-inmem", n, xmx, common, List.of("--impl", "troupe", "--journal", "inmem"), timeoutS);
      if (durable.contains(n)) {
        if (floor) {
          run(all, runDir, "bare-journaled-h2", n, xmx, common, List.of("--impl", "bare-journaled", "--journal", "h2"), timeoutS);
        }
        run(all, runDir, "troupe-h2", n, xmx, common, List.of("--impl", "troupe", "--journal", "h2"), timeoutS);
      }
      if (pgNs.contains(n) && pgSkipped == null) {
        if (floor) {
          List<String> floorPg = new ArrayList<>(pgArgs);
          floorPg.set(1, "bare-journaled");
          run(all, runDir, "bare-journaled-postgres", n, xmx, common, floorPg, timeoutS);
        }
        run(all, runDir, "troupe-postgres", n, xmx, common, pgArgs, timeoutS);
      }
      if (python) {
        JsonNode py = python(n, steps, tools, latencyMs, timeoutS);
        if (py != null) all.add(py);
      }
    }
    // The memory guard: enough sessions that the fixed costs wash out, a short latency to keep it quick.
    JsonNode guard = null;
    List<Integer> tableNs = new ArrayList<>(ns);
    if (guardN > 0) {
      List<String> guardCommon = List.of("--n", "" + guardN, "--steps", "" + steps, "--tools", "" + tools,
          "--latency-ms", "" + guardLatencyMs, "--timeout-s", "" + timeoutS);
      ArrayNode one = Json.array();
      run(one, runDir, "heap-guard-troupe-inmem", guardN, "1g", guardCommon,
          List.of("--impl", "troupe", "--journal", "inmem"), timeoutS);
      guard = one.get(0);
      ((ObjectNode) guard).put("heapGuard", true);
      all.add(guard);
      if (!tableNs.contains(guardN)) tableNs.add(guardN);
    }
    ObjectNode suite = Json.object();
    suite.put("cores", Runtime.getRuntime().availableProcessors());
    suite.put("jdk", System.getProperty("java.version"));
    suite.put("steps", steps).put("tools", tools).put("latencyMs", latencyMs);
    if (!pgNs.isEmpty()) suite.put("postgres", pgSkipped == null ? pgUrl : "skipped: not reachable (" + pgSkipped + ")");
    suite.set("runs", all);
    Results.write(runDir.resolve("suite.json"), suite);
    String table = table(all, tableNs);
    if (guard != null) {
      table += String.format(Locale.ROOT, "%nHeap guard: the troupe-inmem run at N = %,d has L = %d ms (the others %d ms).%n",
          guardN, guardLatencyMs, latencyMs);
    }
    if (pgSkipped != null) {
      table += String.format(Locale.ROOT, "%nTroupe on PostgreSQL: skipped, %s not reachable (%s).%n", pgUrl, pgSkipped);
    }
    Files.writeString(runDir.resolve("fanout.md"), table);
    System.out.println(table);
    plots(all, runDir, guard);
    boolean bad = false;
    for (JsonNode r : all) {
      if (r.path("unfinished").asLong() > 0) {
        Log.info("fan-out: FAILED: %s at N=%d left %d of its intents unfinished (no terminal answer after %d s)",
            r.path("impl").asText(), r.path("n").asInt(), r.path("unfinished").asLong(), timeoutS);
        bad = true;
      }
    }
    if (smoke) {
      for (JsonNode r : all) {
        if (r.path("failedRun").asBoolean() || r.path("failed").asLong() > 0) {
          Log.info("fan-out smoke: %s at N=%d did not complete cleanly (failed %d)", r.path("impl").asText(),
              r.path("n").asInt(), r.path("failed").asLong());
          bad = true;
        }
      }
    }
    if (guard != null && guard.path("failedRun").asBoolean()) {
      Log.info("fan-out: FAILED: memory guard: its run at N = %,d did not finish", guardN);
      bad = true;
    } else if (guard != null) {
      // What the sessions hold (alive less passivated); the heap growth over the run beside it.
      double kib = guard.path("sessionHeapKiB").asDouble(guard.path("heapPerSessionKiB").asDouble());
      double growth = guard.path("heapPerSessionKiB").asDouble();
      if (maxHeapKiB > 0 && kib > maxHeapKiB) {
        Log.info("fan-out: FAILED: memory guard: a Troupe session (journal in memory) holds %.1f KiB of heap at "
            + "N = %,d, over the limit of %.1f KiB (--max-heap-per-session-kib; the heap grew %.1f KiB a session)",
            kib, guardN, maxHeapKiB, growth);
        bad = true;
      } else {
        Log.info("fan-out: memory guard: a session holds %.1f KiB of heap at N = %,d (limit %s; the heap grew %.1f KiB "
            + "a session)", kib, guardN, maxHeapKiB > 0 ? String.format(Locale.ROOT, "%.1f KiB", maxHeapKiB) : "none",
            growth);
      }
    }
    if (bad) System.exit(1);
    if (smoke) Log.info("fan-out smoke: every implementation completed");
  }

  /** Null when PostgreSQL answers at url (the server's postgres database), else why not. */
  private static String postgresUnreachable(String url, String user, String password) {
    try (var c = FanoutRun.postgresAdmin(url, user, password)) {
      return c.isValid(5) ? null : "the connection is not valid";
    } catch (Exception e) {
      return e.getMessage();
    }
  }

  private static void run(ArrayNode all, Path dir, String label, int n, String xmx, List<String> common,
      List<String> impl, int timeoutS) throws Exception {
    Path out = dir.resolve(label + "-n" + n + ".json");
    List<String> a = new ArrayList<>(List.of("fanout-run"));
    a.addAll(common);
    a.addAll(impl);
    a.addAll(List.of("--out", out.toString()));
    Log.info("== %s, N=%,d (-Xmx%s)", label, n, xmx);
    // As the node's main does: Pekko's Java API completes CompletionStages whose callbacks may land on the
    // common pool, which on 2 cores otherwise starts a thread per task (docs/benchmarks.md, issue 3).
    int code = ChildJvm.run(xmx, List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"), a, timeoutS + 240);
    if (code == 0 && Files.exists(out)) {
      all.add(Results.read(out));
    } else {
      Log.info("%s N=%d did not finish (exit %d)", label, n, code);
      all.add(Json.object().put("impl", label).put("n", n).put("failedRun", true));
    }
  }

  private static JsonNode python(int n, int steps, int tools, int latencyMs, int timeoutS) throws Exception {
    Log.info("== python-asyncio, N=%,d", n);
    Process p = new ProcessBuilder("python3", "modules/troupe-bench/python/fanout.py", "--n", "" + n,
        "--steps", "" + steps, "--tools", "" + tools, "--latency-ms", "" + latencyMs).redirectErrorStream(true).start();
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        System.out.println("   | " + line);
        if (line.startsWith("{")) last = line;
      }
    }
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return null;
    }
    return last == null ? null : Json.parse(last);
  }

  private static String table(ArrayNode all, List<Integer> ns) {
    StringBuilder sb = new StringBuilder();
    sb.append("| N | implementation | wall (s) | wall/ideal | vs bare Pekko | vs asyncio | CPU ms/intent | peak RSS (MiB) | heap after GC (MiB) | heap/session (KiB) | intents/s | failed | unfinished |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int n : ns) {
      JsonNode bare = find(all, "bare", n);
      JsonNode py = find(all, "python-asyncio", n);
      for (JsonNode r : all) {
        if (r.path("n").asInt() != n) continue;
        if (r.path("failedRun").asBoolean()) {
          sb.append(String.format(Locale.ROOT, "| %,d | %s | did not finish | | | | | | | | | | |%n", n, r.path("impl").asText()));
          continue;
        }
        double wall = r.path("wallSeconds").isMissingNode() ? r.path("wallS").asDouble() : r.path("wallSeconds").asDouble();
        String impl = r.path("impl").asText() + (r.path("heapGuard").asBoolean() ? " (heap guard, L = " + r.path("latencyMs").asInt() + " ms)" : "");
        sb.append(String.format(Locale.ROOT, "| %,d | %s | %.2f | %.3f | %s | %s | %s | %.0f | %s | %s | %s | %s | %s |%n", n,
            impl, wall, r.path("wallOverIdeal").asDouble(),
            ratio(wall, bare), ratio(wall, py),
            r.has("cpuMsPerIntent") ? String.format(Locale.ROOT, "%.2f", r.path("cpuMsPerIntent").asDouble()) : "",
            r.path("peakRssMiB").asDouble(),
            r.has("heapAfterGcMiB") ? String.format(Locale.ROOT, "%.0f", r.path("heapAfterGcMiB").asDouble()) : "",
            r.has("heapPerSessionKiB") ? String.format(Locale.ROOT, "%.1f", r.path("heapPerSessionKiB").asDouble()) : "",
            r.has("intentsPerSecond") ? String.format(Locale.ROOT, "%.0f", r.path("intentsPerSecond").asDouble()) : "",
            r.has("failed") ? r.path("failed").asText() : "", r.has("unfinished") ? r.path("unfinished").asText() : ""));
      }
    }
    return sb.toString();
  }

  private static String ratio(double wall, JsonNode base) {
    if (base == null || base.path("failedRun").asBoolean()) return "";
    double b = base.has("wallSeconds") ? base.path("wallSeconds").asDouble() : base.path("wallS").asDouble();
    return b > 0 ? String.format(Locale.ROOT, "%.2f", wall / b) : "";
  }

  private static JsonNode find(ArrayNode all, String impl, int n) {
    for (JsonNode r : all) if (r.path("impl").asText().equals(impl) && r.path("n").asInt() == n) return r;
    return null;
  }

  /** wall/ideal and peak RSS against N, log axes, one line per implementation (gnuplot). */
  private static void plots(ArrayNode all, Path dir, JsonNode guard) throws IOException, InterruptedException {
    Map<String, StringBuilder> series = new LinkedHashMap<>();
    for (JsonNode r : all) {
      if (r.path("failedRun").asBoolean() || r == guard) continue; // the guard's latency is not the others'
      series.computeIfAbsent(r.path("impl").asText(), k -> new StringBuilder())
          .append(r.path("n").asInt()).append(' ').append(r.path("wallOverIdeal").asDouble()).append(' ')
          .append(r.path("peakRssMiB").asDouble()).append('\n');
    }
    List<String> ratioPlots = new ArrayList<>();
    List<String> memoryPlots = new ArrayList<>();
    for (Map.Entry<String, StringBuilder> e : series.entrySet()) {
      Path data = dir.resolve(e.getKey() + ".dat");
      Files.writeString(data, e.getValue());
      ratioPlots.add("'" + data + "' using 1:2 with linespoints lw 2 title '" + e.getKey() + "'");
      memoryPlots.add("'" + data + "' using 1:3 with linespoints lw 2 title '" + e.getKey() + "'");
    }
    String script = "set terminal png size 900,540\nset logscale x\nset grid\nset key top left\nset xlabel 'concurrent sessions N'\n"
        + "set output '" + dir.resolve("wall-over-ideal.png") + "'\nset logscale y\nset ylabel 'wall / ideal ((S + 1) x L)'\n"
        + "set title 'Fan-out: wall time over the ideal, by N'\nplot " + String.join(", ", ratioPlots) + "\n"
        + "set output '" + dir.resolve("memory.png") + "'\nset ylabel 'peak RSS (MiB)'\n"
        + "set title 'Fan-out: peak RSS, by N'\nplot " + String.join(", ", memoryPlots) + "\n";
    Process p;
    try {
      p = new ProcessBuilder("gnuplot").redirectErrorStream(true).start();
    } catch (IOException e) {
      Log.info("no plots: gnuplot is not installed (apt-get install gnuplot-nox)");
      return;
    }
    p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) Log.info("gnuplot failed (install gnuplot-nox): %s", output);
    else Log.info("plots: %s, %s", dir.resolve("wall-over-ideal.png"), dir.resolve("memory.png"));
  }
}
