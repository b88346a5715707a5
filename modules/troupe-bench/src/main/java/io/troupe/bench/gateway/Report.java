package io.troupe.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.bench.Svg;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The suite's figures as a markdown table (for docs/benchmarks.md) and a self-contained HTML page. */
final class Report {
  private Report() {}

  static String markdown(JsonNode suite) {
    StringBuilder s = new StringBuilder();
    s.append("| run | P | C | N | wall s | ideal s | wall/ideal | wall/pool ideal | ok | errors | unfinished | p50 ms | p99 ms | added p50 / p99 ms | peak RSS MiB | heap after GC MiB | fake saw (req / 429 / 500) |\n");
    s.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (JsonNode r : suite.get("runs")) {
      if (r.has("failed")) {
        s.append("| ").append(r.path("label").asText()).append(" | failed: ").append(r.path("failed").asText()).append(" |\n");
        continue;
      }
      boolean sessions = "sessions".equals(r.path("kind").asText());
      JsonNode lat = r.path("latency");
      JsonNode fake = r.path("fake");
      JsonNode added = r.path("addedLatency");
      String addedText = added.isMissingNode() ? "" : String.format(Locale.ROOT, "%.1f / %.1f",
          added.path("p50Ms").asDouble(), added.path("p99Ms").asDouble());
      s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f | %.2f | **%.2f** | %.2f | %d | %d | %d | %.0f | %.0f | %s | %.0f | %.0f | %d / %d / %d |%n",
          r.path("label").asText(), r.path("p").asInt(), r.path("c").asInt(),
          sessions ? r.path("n").asInt() : r.path("calls").asInt(),
          r.path("wallS").asDouble(), r.path("idealS").asDouble(), r.path("wallOverIdeal").asDouble(),
          r.has("wallOverPoolIdeal") ? r.path("wallOverPoolIdeal").asDouble() : r.path("wallOverIdeal").asDouble(),
          sessions ? r.path("succeeded").asLong() : r.path("ok").asLong(), r.path("errors").asLong(),
          r.path("unfinished").asLong(), lat.path("p50Ms").asDouble(), lat.path("p99Ms").asDouble(), addedText,
          r.path("peakRssMiB").asDouble(), r.path("heapAfterGcMiB").asDouble(),
          fake.path("requests").asLong(), fake.path("status429").asLong(), fake.path("status500").asLong()));
    }
    return s.toString();
  }

  static String html(JsonNode suite) {
    List<Svg.Bar> ratio = new ArrayList<>();
    List<Svg.Bar> rss = new ArrayList<>();
    for (JsonNode r : suite.get("runs")) {
      if (r.has("failed")) {
        continue;
      }
      String label = r.path("label").asText();
      boolean sessions = "sessions".equals(r.path("kind").asText());
      double target = sessions ? 2.0 : 1.10;
      double w = r.path("wallOverIdeal").asDouble();
      boolean faults = label.startsWith("faults");
      ratio.add(new Svg.Bar(label, w, String.format(Locale.ROOT, "%.2f (target %.2f)%s", w, target,
          r.path("unfinished").asLong() > 0 ? ", " + r.path("unfinished").asLong() + " unfinished" : ""),
          !faults && w > target || r.path("unfinished").asLong() > 0));
      double m = r.path("peakRssMiB").asDouble();
      rss.add(new Svg.Bar(label, m, String.format(Locale.ROOT, "%.0f MiB (heap after GC %.0f)", m,
          r.path("heapAfterGcMiB").asDouble()), sessions && r.path("n").asInt() == 10_000 && m > 500));
    }
    StringBuilder s = new StringBuilder();
    s.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Troupe gateway benchmark</title>")
        .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>")
        .append("</head><body><h1>LLM gateway benchmark (issue 3)</h1>");
    s.append("<p>").append(Svg.esc(suite.path("startedAt").asText())).append(" · ")
        .append(suite.path("cores").asInt()).append(" cores · ").append(Svg.esc(suite.path("jdk").asText()))
        .append(" · fake latency ").append(suite.path("latencyMs").asInt())
        .append(" ms. A shared, noisy machine: compare the runs of one page, not pages.</p>");
    s.append(Svg.bars("wall / ideal (lower is better; red: target missed)", "wall / ideal", ratio, 1.0, "ideal"));
    s.append(Svg.bars("peak RSS of each run's JVM (MiB)", "MiB", rss, 500, "500 MiB"));
    s.append("<h2>Table</h2><pre>").append(Svg.esc(markdown(suite))).append("</pre></body></html>\n");
    return s.toString();
  }
}
