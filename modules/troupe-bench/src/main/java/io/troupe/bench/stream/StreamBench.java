package io.troupe.bench.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.bench.Svg;
import io.troupe.bench.gateway.SessionBench;
import io.troupe.core.json.Json;
import io.troupe.node.TroupeNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bin/bench stream}: what the output guard of a streamed answer costs (issue 13, part 3). A
 * fake model streams a fixed answer at a steady pace; a node runs intents against it, each with a
 * client on its event stream. Per output-guard setting (window:hold-back) it reports the time from
 * the provider's first chunk to the client's first {@code model.delta} (the latency the guard and
 * the path add to the first token), the guard's own {@code firstReleaseDelayMs} from the trace, and
 * the most characters held back. {@code 1:0} checks every delta and holds nothing: the floor.
 */
public final class StreamBench {
  private StreamBench() {}

  public static void main(Args args) throws Exception {
    int intents = args.integer("intents", 40);
    int concurrency = args.integer("c", 4);
    int chars = args.integer("chars", 480);
    int chunkChars = args.integer("chunk-chars", 4);
    int intervalMs = args.integer("interval-ms", 10);
    int firstMs = args.integer("first-ms", 200);
    List<String> configs = Arrays.asList(args.str("configs", "1:0,40:16,120:48,0:0").split(","));
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/stream"));
    Files.createDirectories(out);

    String answer = answer(chars);
    double charsPerSecond = chunkChars * 1000.0 / intervalMs;
    Log.phase("stream: %d intents per setting, %d at once; the model streams %d characters, %d every %d ms (%.0f/s), first after %d ms",
        intents, concurrency, chars, chunkChars, intervalMs, charsPerSecond, firstMs);
    ObjectNode suite = Json.object();
    suite.put("intents", intents).put("concurrency", concurrency).put("chars", chars).put("chunkChars", chunkChars)
        .put("intervalMs", intervalMs).put("firstMs", firstMs).put("charsPerSecond", charsPerSecond);
    ArrayNode runs = suite.putArray("runs");
    try (PacedSseServer model = PacedSseServer.start(firstMs, intervalMs, chunkChars, answer)) {
      for (String config : configs) {
        runs.add(run(model, config.trim(), intents, concurrency));
      }
    }
    Results.write(out.resolve("stream.json"), suite);
    List<Svg.Bar> bars = new ArrayList<>();
    StringBuilder table = new StringBuilder(
        "| window:hold-back | added to first token, p50 / p95 ms | guard's first release delay, p50 ms | most held back, chars | intents ok |\n|---|---|---|---|---|\n");
    for (JsonNode r : runs) {
      bars.add(new Svg.Bar(r.get("config").asText() + " (window:hold-back)", r.get("addedP50Ms").asDouble(),
          String.format(Locale.ROOT, "%.0f ms", r.get("addedP50Ms").asDouble()), false));
      table.append(String.format(Locale.ROOT, "| %s | %.0f / %.0f | %.0f | %d | %d of %d |%n", r.get("config").asText(),
          r.get("addedP50Ms").asDouble(), r.get("addedP95Ms").asDouble(), r.get("guardDelayP50Ms").asDouble(),
          r.get("maxHeldChars").asInt(), r.get("ok").asInt(), intents));
    }
    Files.writeString(out.resolve("stream.svg"), Svg.bars(String.format(Locale.ROOT,
        "Added latency to the first token, p50 (model at %.0f chars/s)", charsPerSecond), "ms", bars, Double.NaN, ""));
    Files.writeString(out.resolve("stream.md"), table.toString());
    System.out.println(table);
    Log.info("stream: %s, %s, %s", out.resolve("stream.json"), out.resolve("stream.md"), out.resolve("stream.svg"));
  }

  private static ObjectNode run(PacedSseServer model, String config, int intents, int concurrency) throws Exception {
    String[] wh = config.split(":");
    int window = Integer.parseInt(wh[0]);
    int holdBack = Integer.parseInt(wh[1]);
    Path dataDir = Files.createTempDirectory("troupe-stream-bench-");
    Map<String, Object> o = new HashMap<>();
    o.put("troupe.llm.provider", "openai");
    o.put("troupe.llm.model", "paced");
    o.put("troupe.llm.openai.base-url", model.baseUrl());
    o.put("troupe.llm.openai.api-key", "");
    o.put("troupe.llm.openai.require-api-key", "false");
    o.put("troupe.llm.stream", true);
    o.put("troupe.agent.stream", true);
    o.put("troupe.guardrail.stream-window-chars", window);
    o.put("troupe.guardrail.stream-hold-back-chars", holdBack);
    o.put("troupe.http.host", "127.0.0.1");
    o.put("troupe.http.port", 0);
    o.put("troupe.data-dir", dataDir.toString());
    o.put("troupe.vector-store.embedder", "hashing");
    o.put("pekko.coordinated-shutdown.exit-jvm", "off");
    o.put("pekko.loglevel", "WARNING");
    o.put("pekko.persistence.journal.plugin", "pekko.persistence.journal.inmem");
    o.put("pekko.persistence.snapshot-store.plugin", "pekko.persistence.no-snapshot-store");
    TroupeNode.Running node = TroupeNode.start(o);
    ExecutorService clients = Executors.newFixedThreadPool(concurrency);
    try {
      SessionBench.awaitReady(node.system(), Duration.ofSeconds(120));
      String base = "http://127.0.0.1:" + node.http().toCompletableFuture().get(60, TimeUnit.SECONDS).getPort(); // blocking-ok: main
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      // A warm-up intent, not counted.
      measure(http, base, model, "warm-up " + config);
      List<Future<double[]>> pending = new ArrayList<>();
      for (int i = 0; i < intents; i++) {
        String text = "Stream bench " + config + " number " + i + ": tell me a story.";
        pending.add(clients.submit(() -> measure(http, base, model, text)));
      }
      List<Double> added = new ArrayList<>();
      List<Double> guard = new ArrayList<>();
      int held = 0;
      int ok = 0;
      for (Future<double[]> f : pending) {
        double[] r = f.get(120, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
        if (r == null) continue;
        ok++;
        added.add(r[0]);
        if (r[1] >= 0) guard.add(r[1]);
        held = Math.max(held, (int) r[2]);
      }
      ObjectNode res = Json.object().put("config", config).put("window", window).put("holdBack", holdBack).put("ok", ok)
          .put("addedP50Ms", Results.round3(pct(added, 50))).put("addedP95Ms", Results.round3(pct(added, 95)))
          .put("guardDelayP50Ms", Results.round3(pct(guard, 50))).put("guardDelayP95Ms", Results.round3(pct(guard, 95)))
          .put("maxHeldChars", held);
      Log.info("stream %s: added to the first token p50 %.0f ms p95 %.0f ms; guard's first release p50 %.0f ms; held at most %d chars; %d of %d ok",
          config, pct(added, 50), pct(added, 95), pct(guard, 50), held, ok, intents);
      return res;
    } finally {
      clients.shutdownNow();
      node.system().terminate();
      node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS); // blocking-ok: main thread
    }
  }

  /**
   * One intent: submits it, reads its event stream to the end, then its trace. Null when it did not
   * succeed or no delta came; else {added ms, the guard's first release delay ms (-1 unknown), most held}.
   */
  private static double[] measure(HttpClient http, String base, PacedSseServer model, String text) throws Exception {
    HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/intents"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.object().put("text", text).toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    if (posted.statusCode() != 202) throw new IllegalStateException("POST /v1/intents: " + posted.statusCode() + " " + posted.body());
    String id = Json.parse(posted.body()).get("id").asText();
    HttpResponse<Stream<String>> events = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/intents/" + id + "/events"))
        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofLines());
    long firstDelta = 0;
    boolean succeeded = false;
    try (Stream<String> lines = events.body()) {
      Iterator<String> it = lines.iterator();
      int budget = 100_000; // bounded: the stream closes after the terminal event
      while (it.hasNext() && budget-- > 0) {
        String line = it.next();
        if (firstDelta == 0 && line.equals("event: model.delta")) firstDelta = System.nanoTime();
        if (line.equals("event: intent.succeeded")) succeeded = true;
      }
    }
    Long providerFirst = model.firstChunkNanos(text);
    if (!succeeded || firstDelta == 0 || providerFirst == null) return null;
    JsonNode trace = Json.parse(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/intents/" + id + "/trace"))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    double guardDelay = -1;
    double held = 0;
    for (JsonNode span : trace.path("spans")) {
      Iterator<Map.Entry<String, JsonNode>> attrs = span.path("attributes").fields();
      while (attrs.hasNext()) {
        Map.Entry<String, JsonNode> a = attrs.next();
        if (a.getKey().endsWith("firstReleaseDelayMs")) guardDelay = a.getValue().asDouble();
        if (a.getKey().endsWith("maxHeldChars")) held = a.getValue().asDouble();
      }
    }
    return new double[] {(firstDelta - providerFirst) / 1e6, guardDelay, held};
  }

  private static double pct(List<Double> values, double p) {
    if (values.isEmpty()) return Double.NaN;
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Plain words, {@code chars} long: nothing in it a policy would rewrite. */
  static String answer(int chars) {
    String[] words = {"the", "river", "ran", "past", "a", "quiet", "town", "where", "every", "evening", "people",
        "walked", "along", "its", "bank", "and", "talked", "about", "weather"};
    StringBuilder b = new StringBuilder(chars + 10);
    for (int i = 0; b.length() < chars; i++) b.append(words[i % words.length]).append(' ');
    return b.substring(0, chars).strip() + ".";
  }
}
