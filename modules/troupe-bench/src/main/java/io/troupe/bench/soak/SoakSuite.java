package io.troupe.bench.soak;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.bench.Args;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.bench.Svg;
import io.troupe.core.json.Json;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code bin/bench soak --minutes N} (issue 17, part 6): one node process under a steady mixed load
 * (intents that call tools, intents cancelled while they run, documents ingested, searched and
 * deleted), sampled every {@code --sample-s} seconds from outside: heap after a full GC
 * ({@code jcmd GC.run}, then {@code GC.heap_info}), threads and open file descriptors
 * ({@code /proc/<pid>}), and the entries of the node's own temp directory ({@code java.io.tmpdir}).
 * After the warm-up, the median of the last third of the samples must not exceed the median of the
 * first third by more than a tolerance per resource ({@link Resource}); once the node has stopped,
 * its temp directory must be empty. Writes {@code samples.csv}, {@code soak.svg} and
 * {@code summary.json}; exits 1 when a resource grows or the load saw a 5xx other than a shed.
 */
public final class SoakSuite {
  private SoakSuite() {}

  /** What is sampled, and how much its late median may exceed its early one. */
  enum Resource {
    HEAP("heap after GC", "MiB", 16, 0.20), // the live set swings by ~15 MiB here (index buffers, runs in flight)
    THREADS("threads", "", 4, 0),
    FDS("file descriptors", "", 16, 0.10),
    TEMP("temp directory entries", "", 0, 0);

    final String label;
    final String unit;
    final double slack;
    final double slackShare;

    Resource(String label, String unit, double slack, double slackShare) {
      this.label = label;
      this.unit = unit;
      this.slack = slack;
      this.slackShare = slackShare;
    }

    double tolerance(double early) {
      return Math.max(slack, early * slackShare);
    }
  }

  record Sample(double seconds, double heapMib, int threads, int fds, int tempEntries, double rssMib,
      long ok, long shed, long errors) {
    double value(Resource r) {
      return switch (r) {
        case HEAP -> heapMib;
        case THREADS -> threads;
        case FDS -> fds;
        case TEMP -> tempEntries;
      };
    }
  }

  record Verdict(Resource resource, double early, double late, double slopePerMinute, double tolerance, boolean grows) {}

  public static void main(Args args) throws Exception {
    double minutes = args.dbl("minutes", 2);
    int rate = args.integer("rate", 10);
    int sampleSeconds = args.integer("sample-s", 10);
    int latencyMs = args.integer("latency-ms", 50);
    String xmx = args.str("xmx", "512m");
    long runSeconds = Math.round(minutes * 60);
    double warmupSeconds = args.dbl("warmup-s", Math.max(30, runSeconds * 0.2));
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/soak-"
        + Instant.now().toString().replace(":", "").replaceAll("\\..*", "")));
    Files.createDirectories(out);
    Path work = Files.createTempDirectory("troupe-soak-");
    Path nodeTemp = Files.createDirectories(work.resolve("tmp"));

    int port = freePort();
    String base = "http://127.0.0.1:" + port;
    List<String> command = List.of(javaBin("java"), "-Xmx" + xmx, "-XX:+UseG1GC",
        "-Djava.io.tmpdir=" + nodeTemp, "-jar", nodeJar(), "run", "--port", Integer.toString(port),
        "--data-dir", work.resolve("data").toString());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(out.resolve("node.log").toFile());
    pb.environment().put("TROUPE_LOCAL_LATENCY_MS", Integer.toString(latencyMs));
    Log.phase("soak: %.1f min, %d operations/s, a sample every %d s, warm-up %.0f s; node -Xmx%s, model latency %d ms",
        minutes, rate, sampleSeconds, warmupSeconds, xmx, latencyMs);
    Process node = pb.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<Sample> samples = new ArrayList<>();
    Load load = new Load(http, base, rate);
    boolean failed;
    List<String> leftBehind;
    try {
      awaitReady(http, base, node, out.resolve("node.log"));
      Log.info("node pid %d ready on %s; temp directory %s", node.pid(), base, nodeTemp);
      long start = System.nanoTime();
      load.start();
      for (long next = 0; next <= runSeconds; next += sampleSeconds) {
        long waitNanos = start + TimeUnit.SECONDS.toNanos(next) - System.nanoTime();
        if (waitNanos > 0) TimeUnit.NANOSECONDS.sleep(waitNanos);
        Sample s = sample(node.pid(), nodeTemp, (System.nanoTime() - start) / 1e9, load);
        samples.add(s);
        Log.info("t=%4.0fs heap after GC %6.1f MiB, threads %3d, fds %4d, temp entries %d, RSS %6.1f MiB; ops ok %d, shed %d, errors %d",
            s.seconds(), s.heapMib(), s.threads(), s.fds(), s.tempEntries(), s.rssMib(), s.ok(), s.shed(), s.errors());
      }
      load.stop();
    } finally {
      load.stop();
      node.destroy(); // SIGTERM: coordinated shutdown, as an orchestrator stops it
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    leftBehind = listEntries(nodeTemp);

    List<Sample> judged = samples.stream().filter(s -> s.seconds() >= warmupSeconds).toList();
    List<Verdict> verdicts = new ArrayList<>();
    for (Resource r : Resource.values()) verdicts.add(judge(r, judged));
    boolean heapUnread = samples.stream().anyMatch(x -> Double.isNaN(x.heapMib()));
    failed = judged.size() < 6 || verdicts.stream().anyMatch(Verdict::grows) || !leftBehind.isEmpty()
        || load.errors.get() > 0 || heapUnread;

    writeCsv(out.resolve("samples.csv"), samples);
    Files.writeString(out.resolve("soak.svg"), plot(samples, verdicts, warmupSeconds, minutes));
    ObjectNode summary = Json.object();
    summary.put("minutes", minutes);
    summary.put("rate", rate);
    summary.put("sampleSeconds", sampleSeconds);
    summary.put("warmupSeconds", warmupSeconds);
    summary.put("operationsOk", load.ok.get());
    summary.put("operationsShed", load.shed.get());
    summary.put("operationsFailed", load.errors.get());
    ArrayNode firstErrors = summary.putArray("firstErrors");
    load.firstErrors.forEach(firstErrors::add);
    ArrayNode v = summary.putArray("verdicts");
    for (Verdict d : verdicts) {
      ObjectNode o = v.addObject();
      o.put("resource", d.resource().label);
      o.put("earlyMedian", Results.round3(d.early()));
      o.put("lateMedian", Results.round3(d.late()));
      o.put("slopePerMinute", Results.round3(d.slopePerMinute()));
      o.put("tolerance", Results.round3(d.tolerance()));
      o.put("grows", d.grows());
    }
    ArrayNode left = summary.putArray("tempEntriesLeftAfterExit");
    leftBehind.forEach(left::add);
    summary.put("passed", !failed);
    Results.write(out.resolve("summary.json"), summary);

    Log.phase("soak: %d operations ok, %d shed (429/503), %d failed", load.ok.get(), load.shed.get(), load.errors.get());
    load.firstErrors.forEach(e -> Log.info("error: %s", e));
    for (Verdict d : verdicts) {
      Log.info("%-24s first third %8.1f, last third %8.1f (tolerance +%.1f), slope %+.2f/min: %s", d.resource().label,
          d.early(), d.late(), d.tolerance(), d.slopePerMinute(), d.grows() ? "GROWS" : "flat");
    }
    Log.info("temp directory after the node stopped: %s", leftBehind.isEmpty() ? "empty" : "LEFT " + leftBehind);
    if (heapUnread) Log.info("jcmd GC.heap_info gave no used heap for some samples (see samples.csv): cannot judge the heap");
    if (judged.size() < 6) Log.info("too few samples after the warm-up (%d) to judge: run longer", judged.size());
    Log.phase("soak %s; samples, plot and summary in %s", failed ? "FAILED" : "passed", out);
    deleteTree(work);
    if (failed) System.exit(1);
  }

  /** Last third's median against the first third's, after the warm-up. */
  static Verdict judge(Resource r, List<Sample> judged) {
    if (judged.size() < 3) return new Verdict(r, Double.NaN, Double.NaN, Double.NaN, r.slack, false);
    int third = Math.max(1, judged.size() / 3);
    double early = median(judged.subList(0, third).stream().mapToDouble(s -> s.value(r)).toArray());
    double late = median(judged.subList(judged.size() - third, judged.size()).stream().mapToDouble(s -> s.value(r)).toArray());
    double tolerance = r.tolerance(early);
    return new Verdict(r, early, late, slopePerMinute(judged, r), tolerance, late - early > tolerance);
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** Least-squares slope, per minute (reported, not judged). */
  static double slopePerMinute(List<Sample> samples, Resource r) {
    double n = samples.size();
    double mx = samples.stream().mapToDouble(Sample::seconds).sum() / n;
    double my = samples.stream().mapToDouble(s -> s.value(r)).sum() / n;
    double num = 0;
    double den = 0;
    for (Sample s : samples) {
      num += (s.seconds() - mx) * (s.value(r) - my);
      den += (s.seconds() - mx) * (s.seconds() - mx);
    }
    return den == 0 ? 0 : num / den * 60;
  }

  /** The steady load: one operation per tick, in a fixed cycle of ten. */
  static final class Load {
    private static final int SESSIONS = 200;
    private static final int DOCUMENTS_KEPT = 50;
    private final HttpClient http;
    private final String base;
    private final int rate;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    private final Semaphore inFlight = new Semaphore(256);
    private final ConcurrentLinkedDeque<String> documents = new ConcurrentLinkedDeque<>();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong shed = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final List<String> firstErrors = java.util.Collections.synchronizedList(new ArrayList<>());
    private long tick;
    private volatile boolean stopped;

    Load(HttpClient http, String base, int rate) {
      this.http = http;
      this.base = base;
      this.rate = rate;
    }

    void start() {
      ticker.scheduleAtFixedRate(this::next, 0, 1_000_000 / rate, TimeUnit.MICROSECONDS);
    }

    void stop() throws InterruptedException {
      if (stopped) return;
      stopped = true;
      ticker.shutdownNow();
      ticker.awaitTermination(5, TimeUnit.SECONDS);
      inFlight.tryAcquire(256, 30, TimeUnit.SECONDS); // the last answers, bounded
    }

    private void next() {
      long n = tick++;
      if (stopped) return;
      if (!inFlight.tryAcquire()) {
        record("skipped: 256 requests in flight");
        return;
      }
      String session = "soak-" + (n % SESSIONS);
      CompletableFuture<?> op = switch ((int) (n % 10)) {
        case 0, 2, 4 -> intent(session, "What is " + (n % 97) + "% of " + (1000 + n % 5000) + " and what time is it in UTC?");
        case 1, 3, 5 -> intent(session, "What is " + (n % 1000) + " + " + (n % 777) + "?");
        case 6 -> cancelled(session, "What is " + (n % 100) + " * 3?");
        case 7 -> ingest(n);
        case 8 -> send(get("/v1/documents/search?q=" + URLEncoder.encode(word(n) + " " + word(n + 3),
            StandardCharsets.UTF_8) + "&k=5"), Map.of(200, true));
        default -> deleteOldestDocument(n);
      };
      op.whenComplete((r, t) -> inFlight.release());
    }

    private CompletableFuture<?> intent(String session, String text) {
      return send(post("/v1/intents", "{\"text\":\"" + text + "\",\"sessionId\":\"" + session + "\"}"), Map.of(202, true));
    }

    /** Submitted, then cancelled at once: 200/202 while it runs, 409 if it already ended. */
    private CompletableFuture<?> cancelled(String session, String text) {
      return http.sendAsync(post("/v1/intents", "{\"text\":\"" + text + "\",\"sessionId\":\"" + session + "\"}"),
              HttpResponse.BodyHandlers.ofString())
          .thenCompose(r -> {
            if (r.statusCode() != 202) {
              count(r, Map.of());
              return CompletableFuture.completedFuture(null);
            }
            String id = Json.parse(r.body()).path("id").asText();
            return send(HttpRequest.newBuilder(URI.create(base + "/v1/intents/" + id)).timeout(Duration.ofSeconds(30))
                .DELETE().build(), Map.of(200, true, 202, true, 409, true));
          })
          .exceptionally(t -> {
            error("cancel: " + t);
            return null;
          });
    }

    private CompletableFuture<?> ingest(long n) {
      String id = "soak-doc-" + n;
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < 40; i++) text.append(word(n * 7 + i)).append(i % 10 == 9 ? ". " : " ");
      String body = "{\"documents\":[{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}]}";
      return send(post("/v1/documents", body), Map.of(200, true, 202, true)).thenRun(() -> documents.addLast(id));
    }

    private CompletableFuture<?> deleteOldestDocument(long n) {
      if (documents.size() <= DOCUMENTS_KEPT) {
        return send(get("/v1/documents/search?q=" + word(n) + "&k=3"), Map.of(200, true));
      }
      String id = documents.pollFirst();
      return send(HttpRequest.newBuilder(URI.create(base + "/v1/documents/" + id)).timeout(Duration.ofSeconds(30))
          .DELETE().build(), Map.of(200, true, 404, true));
    }

    private static final String[] WORDS = ("invoice refund shipping password account order delivery warranty "
        + "battery screen keyboard printer network router cable adapter license upgrade billing support").split(" ");

    private static String word(long n) {
      return WORDS[(int) (n % WORDS.length)];
    }

    private HttpRequest post(String path, String json) {
      return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private HttpRequest get(String path) {
      return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    private CompletableFuture<?> send(HttpRequest request, Map<Integer, Boolean> expected) {
      return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
          .thenAccept(r -> count(r, expected))
          .exceptionally(t -> {
            error(request.method() + " " + request.uri().getPath() + ": " + t);
            return null;
          });
    }

    private void count(HttpResponse<String> r, Map<Integer, Boolean> expected) {
      int status = r.statusCode();
      if (expected.containsKey(status)) {
        ok.incrementAndGet();
      } else if (status == 429 || status == 503) {
        shed.incrementAndGet();
      } else {
        error(r.request().method() + " " + r.request().uri().getPath() + ": HTTP " + status + " "
            + r.body().substring(0, Math.min(200, r.body().length())));
      }
    }

    private void record(String what) {
      shed.incrementAndGet();
      if (firstErrors.size() < 10) firstErrors.add(what);
    }

    private void error(String what) {
      errors.incrementAndGet();
      if (firstErrors.size() < 10) firstErrors.add(what);
    }
  }

  private static Sample sample(long pid, Path nodeTemp, double seconds, Load load) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    String heapInfo = jcmd(pid, "GC.heap_info");
    Matcher used = Pattern.compile("used (\\d+)K").matcher(heapInfo);
    double heapMib = used.find() ? Long.parseLong(used.group(1)) / 1024.0 : Double.NaN;
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    int threads = (int) statusField(status, "Threads");
    double rssMib = statusField(status, "VmRSS") / 1024.0;
    int fds;
    try (Stream<Path> entries = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds = (int) entries.count();
    }
    return new Sample(seconds, heapMib, threads, fds, listEntries(nodeTemp).size(), rssMib,
        load.ok.get(), load.shed.get(), load.errors.get());
  }

  private static long statusField(String status, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(status);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(javaBin("jcmd"), Long.toString(pid), command).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + command + " did not finish in 60 s");
    }
    return new String(output, StandardCharsets.UTF_8);
  }

  /** Every file and directory under the temp directory, relative to it. */
  private static List<String> listEntries(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  private static void awaitReady(HttpClient http, String base, Process node, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) throw new IllegalStateException("the node exited; see " + log);
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not listening yet
      }
      TimeUnit.MILLISECONDS.sleep(500);
    }
    throw new IllegalStateException("the node was not ready within 180 s; see " + log);
  }

  private static void writeCsv(Path file, List<Sample> samples) throws IOException {
    StringBuilder csv = new StringBuilder("t_s,heap_after_gc_mib,threads,fds,temp_entries,rss_mib,ops_ok,ops_shed,ops_failed\n");
    for (Sample s : samples) {
      csv.append(String.format(Locale.ROOT, "%.1f,%.2f,%d,%d,%d,%.1f,%d,%d,%d%n", s.seconds(), s.heapMib(), s.threads(),
          s.fds(), s.tempEntries(), s.rssMib(), s.ok(), s.shed(), s.errors()));
    }
    Files.writeString(file, csv);
  }

  /** One panel per resource: the samples over time, the warm-up shaded, the two medians dashed. */
  static String plot(List<Sample> samples, List<Verdict> verdicts, double warmupSeconds, double minutes) {
    int left = 70;
    int width = 560;
    int panel = 120;
    int gap = 50;
    int top = 40;
    double maxSeconds = Math.max(1, samples.isEmpty() ? 1 : samples.get(samples.size() - 1).seconds());
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
        left + width + 30, top + verdicts.size() * (panel + gap)));
    s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">"
        + "Soak: %.1f min of steady mixed load on one node (shaded: warm-up)</text>%n", minutes));
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict v = verdicts.get(i);
      Resource r = v.resource();
      int y0 = top + i * (panel + gap) + 20;
      double max = samples.stream().mapToDouble(x -> x.value(r)).max().orElse(1);
      double min = samples.stream().mapToDouble(x -> x.value(r)).min().orElse(0);
      double lo = Math.max(0, min - (max - min) * 0.2 - 1);
      double hi = max + (max - min) * 0.2 + 1;
      java.util.function.DoubleUnaryOperator yOf = val -> y0 + panel - (val - lo) / (hi - lo) * panel;
      java.util.function.DoubleUnaryOperator xOf = sec -> left + sec / maxSeconds * width;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\" fill=\"%s\">%s%s: %s</text>%n",
          left, y0 - 8, v.grows() ? "#d9534f" : "#333", Svg.esc(r.label), r.unit.isEmpty() ? "" : " (" + r.unit + ")",
          Double.isNaN(v.early()) ? "not judged"
              : String.format(Locale.ROOT, "first third %.1f, last third %.1f, tolerance +%.1f: %s",
                  v.early(), v.late(), v.tolerance(), v.grows() ? "GROWS" : "flat")));
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#eee\"/>%n",
          left, y0, Math.min(width, warmupSeconds / maxSeconds * width), panel));
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
          left, y0, width, panel));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n", left - 4, y0 + 4.0, hi));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>%n", left - 4, y0 + panel, lo));
      if (!Double.isNaN(v.early())) {
        for (double m : new double[] {v.early(), v.late()}) {
          s.append(String.format(Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>%n",
              left, yOf.applyAsDouble(m), left + width, yOf.applyAsDouble(m)));
        }
      }
      StringBuilder points = new StringBuilder();
      for (Sample x : samples) {
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", xOf.applyAsDouble(x.seconds()), yOf.applyAsDouble(x.value(r))));
      }
      s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#4a90d9\" stroke-width=\"2\"/>%n",
          points.toString().trim()));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f min</text>%n",
          left, y0 + panel + 14, left + width, y0 + panel + 14, maxSeconds / 60));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static String javaBin(String tool) {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + tool;
  }

  /** The node's fat jar, from the bench's class path (bin/bench puts it there). */
  private static String nodeJar() {
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (Path.of(entry).getFileName().toString().startsWith("troupe-node") && entry.endsWith(".jar")) return entry;
    }
    throw new IllegalStateException("the node's jar (troupe-node*.jar) is not on the class path; run it with bin/bench soak");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory: the OS cleans it eventually
    }
  }
}
