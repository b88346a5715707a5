package io.troupe.bench.fanout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.troupe.bench.Args;
import io.troupe.bench.ChildJvm;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.bench.Svg;
import io.troupe.core.json.Json;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bin/bench telemetry}: what metrics and trace export cost on the fan-out workload (issue 15:
 * at most 10% of CPU per intent). The same Troupe fan-out run (journal in memory) in a child JVM
 * each, with metrics off and no export (the floor), with metrics on (the default), and with metrics
 * on and every intent's spans exported over OTLP to a receiver on loopback that answers 200 and
 * counts what it got. The settings alternate round by round, so that drift of a shared machine
 * spreads over all three.
 */
public final class TelemetryCost {
  private TelemetryCost() {}

  public static void main(Args args) throws Exception {
    int n = args.integer("n", 10_000);
    int rounds = args.integer("rounds", 2);
    String xmx = args.str("xmx", "3g");
    int timeoutS = args.integer("timeout-s", 900);
    Path dir = Path.of(args.str("out", "modules/troupe-bench/results/telemetry"));
    Files.createDirectories(dir);
    AtomicLong exports = new AtomicLong();
    AtomicLong exportedBytes = new AtomicLong();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    receiver.createContext("/v1/traces", ex -> {
      try (ex) {
        exportedBytes.addAndGet(ex.getRequestBody().readAllBytes().length);
        exports.incrementAndGet();
        ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        ex.sendResponseHeaders(200, -1);
      }
    });
    receiver.start();
    String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
    Map<String, List<String>> settings = new LinkedHashMap<>();
    settings.put("floor: metrics off, no export", List.of("-Dtroupe.metrics.enabled=false"));
    settings.put("metrics on", List.of());
    settings.put("metrics on + OTLP export", List.of("-Dotel.exporter.otlp.endpoint=" + endpoint,
        "-Dotel.service.name=troupe-bench", "-Dotel.bsp.max.queue.size=8192"));
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    settings.keySet().forEach(k -> cpu.put(k, new ArrayList<>()));
    ArrayNode runs = Json.array();
    try {
      for (int round = 1; round <= rounds; round++) {
        int i = 0;
        for (Map.Entry<String, List<String>> s : settings.entrySet()) {
          Path out = dir.resolve("round" + round + "-" + (i++) + ".json");
          long before = exports.get();
          List<String> flags = new ArrayList<>(List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"));
          flags.addAll(s.getValue());
          Log.info("== round %d of %d: %s, N=%,d", round, rounds, s.getKey(), n);
          int code = ChildJvm.run(xmx, flags, List.of("fanout-run", "--impl", "troupe", "--journal", "inmem",
              "--n", "" + n, "--out", out.toString()), timeoutS + 240);
          if (code != 0 || !Files.exists(out)) throw new IllegalStateException(s.getKey() + ": the run failed (exit " + code + ")");
          ObjectNode r = (ObjectNode) Results.read(out);
          r.put("setting", s.getKey()).put("round", round).put("otlpRequests", exports.get() - before);
          runs.add(r);
          cpu.get(s.getKey()).add(r.get("cpuMsPerIntent").asDouble());
          Log.info("   %s: %.3f ms CPU per intent, %d unfinished, %d OTLP requests", s.getKey(),
              r.get("cpuMsPerIntent").asDouble(), r.path("unfinished").asLong(), exports.get() - before);
        }
      }
    } finally {
      receiver.stop(0);
    }
    double floor = median(cpu.get("floor: metrics off, no export"));
    ObjectNode suite = Json.object().put("n", n).put("rounds", rounds).put("otlpRequests", exports.get())
        .put("otlpBytes", exportedBytes.get());
    suite.set("runs", runs);
    ObjectNode summary = suite.putObject("cpuMsPerIntentMedian");
    List<Svg.Bar> bars = new ArrayList<>();
    StringBuilder table = new StringBuilder("| setting | CPU ms per intent (median of " + rounds
        + ") | vs the floor |\n|---|---|---|\n");
    for (Map.Entry<String, List<Double>> e : cpu.entrySet()) {
      double m = median(e.getValue());
      summary.put(e.getKey(), Results.round3(m));
      double ratio = m / floor;
      bars.add(new Svg.Bar(e.getKey(), ratio, String.format(Locale.ROOT, "%.3f ms, %.2fx", m, ratio), ratio > 1.10));
      table.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", e.getKey(), m, ratio));
    }
    Results.write(dir.resolve("telemetry.json"), suite);
    Files.writeString(dir.resolve("telemetry.md"), table.toString());
    Files.writeString(dir.resolve("telemetry.svg"), Svg.bars("CPU per intent with telemetry, over the floor (N="
        + n + ")", "x floor", bars, 1.10, "target 1.10"));
    System.out.println(table);
    Log.info("telemetry: %d OTLP requests, %,d bytes received; %s", exports.get(), exportedBytes.get(), dir);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int k = sorted.size();
    return k == 0 ? Double.NaN : k % 2 == 1 ? sorted.get(k / 2) : (sorted.get(k / 2 - 1) + sorted.get(k / 2)) / 2;
  }
}
