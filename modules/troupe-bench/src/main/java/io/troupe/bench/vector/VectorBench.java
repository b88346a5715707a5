package io.troupe.bench.vector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.vector.VectorStore;
import io.troupe.vector.HashingEmbedder;
import io.troupe.vector.Recall;
import io.troupe.vector.SyntheticCorpus;
import io.troupe.vector.VectorStoreActor;
import io.troupe.vector.VectorStoreSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The vector store benchmark (issue 4): ingest throughput with the real MiniLM model, and at
 * 50,000 generated sentences the recall@10 of the HNSW index against exact search, query p50/p99,
 * ingest throughput and heap, all through {@link VectorStoreActor} (asks, dispatchers, commits)
 * as the node runs it. Prints progress; writes a Markdown report.
 *
 * <pre>
 * ./mvnw -q -B -pl modules/troupe-bench -am install -DskipTests
 * ./mvnw -q -B -pl modules/troupe-bench dependency:build-classpath -Dmdep.outputFile=target/vector-bench.cp
 * java -Xmx2g -Dlogback.configurationFile=logback-bench.xml \
 *   -cp modules/troupe-bench/target/classes:$(cat modules/troupe-bench/target/vector-bench.cp) \
 *   io.troupe.bench.vector.VectorBench [--docs 50000] [--queries 500] [--minilm-docs 2000]
 *   [--max-conn 16] [--beam-width 100] [--candidates 50,100,200] [--out docs/benchmarks-vector.md]
 * </pre>
 */
public final class VectorBench {

  static final Duration ASK = Duration.ofMinutes(5);
  static final int SLICE = 100; // documents per Upsert
  static final int WINDOW = 16; // Upserts in flight

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    int docs = Integer.parseInt(opts.getOrDefault("docs", "50000"));
    int queries = Integer.parseInt(opts.getOrDefault("queries", "500"));
    int minilmDocs = Integer.parseInt(opts.getOrDefault("minilm-docs", "2000"));
    int maxConn = Integer.parseInt(opts.getOrDefault("max-conn", "16"));
    int beamWidth = Integer.parseInt(opts.getOrDefault("beam-width", "100"));
    int[] candidates = Arrays.stream(opts.getOrDefault("candidates", "50,100,200").split(","))
        .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    Path out = Path.of(opts.getOrDefault("out", "docs/benchmarks-vector.md"));

    Config config = ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.log-dead-letters = off\npekko.coordinated-shutdown.exit-jvm = off")
        .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "vector-bench", config);
    Report report = new Report();
    report.line("- date: " + Instant.now());
    report.line("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, load average at start "
        + String.format(Locale.ROOT, "%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
        + "; Java " + System.getProperty("java.version") + ", -Xmx" + (Runtime.getRuntime().maxMemory() >> 20) + "m");
    report.line("- embedding dispatcher: " + config.getInt("troupe.vector-store.embedding-dispatcher.thread-pool-executor.fixed-pool-size")
        + " threads; index dispatcher: " + config.getInt("troupe.vector-store.dispatcher.thread-pool-executor.fixed-pool-size")
        + " threads; HNSW max-conn " + maxConn + ", beam-width " + beamWidth);
    Path work = Files.createTempDirectory("troupe-vector-bench");
    try {
      if (minilmDocs > 0) {
        miniLm(system, work.resolve("minilm"), minilmDocs, Math.min(queries, 200), report);
      }
      recall(system, work.resolve("hashing"), docs, queries, maxConn, beamWidth, candidates, report);
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, report.markdown(String.join(" ", args)));
      System.out.println("== report written to " + out);
      System.out.println(report.markdown(String.join(" ", args)));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS); // blocking-ok: benchmark driver thread
      deleteTree(work);
    }
  }

  // --- phase 1: the real model

  static void miniLm(ActorSystem<Void> system, Path dir, int count, int queries, Report report) throws Exception {
    System.out.println("== MiniLM: " + count + " generated sentences, embedded by all-MiniLM-L6-v2 (quantized, ONNX Runtime)");
    VectorStoreSettings settings = VectorStoreSettings.of(dir.resolve("index"), "minilm", 384);
    long t0 = System.nanoTime();
    ActorRef<VectorStore.Command> store = start(system, VectorStoreActor.create(settings,
        io.troupe.vector.EmbedderFactory.local(settings)), "minilm");
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "   model loaded and index open in %.1f s%n", loadSeconds);
    List<String> texts = SyntheticCorpus.sentences(1, count);
    double seconds = ingest(system, store, texts, "minilm ingest");
    List<String> asked = SyntheticCorpus.sentences(2, queries);
    long[] latencies = queryLatencies(system, store, asked, 10, null, "minilm query");
    report.row("MiniLM (384 dims), " + count + " docs", "ingest", String.format(Locale.ROOT, "%.0f docs/s", count / seconds),
        "embed + index + commit, through the actor; model load and index open " + String.format(Locale.ROOT, "%.1f s", loadSeconds));
    report.row("MiniLM (384 dims), " + count + " docs", "query p50 / p99", ms(percentile(latencies, 50)) + " / " + ms(percentile(latencies, 99)),
        queries + " queries one at a time, each embedded by the model first");
    stop(system, store);
  }

  // --- phase 2: recall at scale

  static void recall(ActorSystem<Void> system, Path dir, int count, int queries, int maxConn, int beamWidth, int[] candidates,
      Report report) throws Exception {
    System.out.println("== recall: " + count + " generated sentences, hashing embedder (384 dims)");
    HashingEmbedder embedder = new HashingEmbedder(384);
    List<String> texts = SyntheticCorpus.sentences(3, count);
    List<String> asked = SyntheticCorpus.sentences(4, queries);
    System.out.println("   exact vectors for brute force...");
    List<float[]> corpus = Recall.unit(embedder.embedAll(texts));
    List<float[]> queryVectors = Recall.unit(embedder.embedAll(asked));
    double heapBefore = heapAfterGcMiB();

    VectorStoreSettings settings = VectorStoreSettings.of(dir.resolve("index"), "hashing", 384)
        .withHnsw(maxConn, beamWidth, candidates[0]);
    ActorRef<VectorStore.Command> store = start(system, VectorStoreActor.create(settings, embedder), "hashing");
    double seconds = ingest(system, store, texts, "hashing ingest");
    double heapAfter = heapAfterGcMiB();
    long indexBytes = sizeOf(settings.indexDirectory());
    String scale = String.format(Locale.ROOT, "hashing (384 dims), %,d docs", count);
    report.row(scale, "ingest", String.format(Locale.ROOT, "%.0f docs/s", count / seconds),
        "embed + index (HNSW graph built as segments flush and merge) + commit per batch");
    report.row(scale, "heap after GC", String.format(Locale.ROOT, "%.0f MiB (store: +%.0f MiB)", heapAfter, heapAfter - heapBefore),
        "whole JVM incl. the benchmark's own exact vectors (" + String.format(Locale.ROOT, "%.0f MiB", count * 384 * 4 / 1048576.0)
            + "); vectors and graph are read through mmap, off heap; index on disk " + String.format(Locale.ROOT, "%.0f MiB", indexBytes / 1048576.0));
    stop(system, store);

    System.out.println("   exact top 10 of " + queries + " queries (brute force)...");
    for (int numCandidates : candidates) {
      store = start(system, VectorStoreActor.create(settings.withHnsw(maxConn, beamWidth, numCandidates), embedder), "hashing");
      queryLatencies(system, store, asked.subList(0, Math.min(50, asked.size())), 10, null, "warm-up"); // JIT, page cache
      List<Set<Integer>> found = new ArrayList<>();
      long[] latencies = queryLatencies(system, store, asked, 10, found, "queries, num-candidates " + numCandidates);
      double total = 0;
      for (int q = 0; q < asked.size(); q++) {
        total += Recall.at(10, queryVectors.get(q), corpus, found.get(q));
      }
      double recall = total / asked.size();
      System.out.printf(Locale.ROOT, "   num-candidates %d: recall@10 %.4f, p50 %s, p99 %s%n", numCandidates, recall,
          ms(percentile(latencies, 50)), ms(percentile(latencies, 99)));
      report.row(scale, "num-candidates " + numCandidates + ": recall@10 / p50 / p99",
          String.format(Locale.ROOT, "%.4f / %s / %s", recall, ms(percentile(latencies, 50)), ms(percentile(latencies, 99))),
          queries + " queries one at a time through the actor (query embedding + HNSW search + stored fields); exact = brute force over all " + count);
      stop(system, store);
    }
    indexOnly(settings.indexDirectory(), queryVectors, candidates, report, scale);
  }

  /**
   * The HNSW search alone, on the index the store wrote (a plain Lucene reader, same query as the
   * store's): no actor, no dispatcher hop, no query embedding. Shows what the index costs apart
   * from the machine's scheduling.
   */
  static void indexOnly(Path indexDirectory, List<float[]> queryVectors, int[] candidates, Report report, String scale)
      throws IOException {
    try (org.apache.lucene.store.FSDirectory directory = org.apache.lucene.store.FSDirectory.open(indexDirectory);
        org.apache.lucene.index.DirectoryReader reader = org.apache.lucene.index.DirectoryReader.open(directory)) {
      org.apache.lucene.search.IndexSearcher searcher = new org.apache.lucene.search.IndexSearcher(reader);
      for (int numCandidates : candidates) {
        long[] latencies = new long[queryVectors.size()];
        for (int round = 0; round < 2; round++) { // the first round warms up
          for (int q = 0; q < queryVectors.size(); q++) {
            long t0 = System.nanoTime();
            searcher.search(new org.apache.lucene.search.KnnFloatVectorQuery("vector", queryVectors.get(q), numCandidates), 10);
            latencies[q] = System.nanoTime() - t0;
          }
        }
        System.out.printf(Locale.ROOT, "   index only, num-candidates %d: p50 %s, p99 %s%n", numCandidates,
            ms(percentile(latencies, 50)), ms(percentile(latencies, 99)));
        report.row(scale, "num-candidates " + numCandidates + ": HNSW search alone p50 / p99",
            ms(percentile(latencies, 50)) + " / " + ms(percentile(latencies, 99)),
            "Lucene IndexSearcher on the same index, one thread, after a warm-up round; no actor, no query embedding");
      }
    }
  }

  // --- plumbing

  static ActorRef<VectorStore.Command> start(ActorSystem<Void> system, Behavior<VectorStore.Command> behavior, String name)
      throws Exception {
    ActorRef<VectorStore.Command> store = spawn(system, behavior, name);
    Lifecycle.Initialized init = AskPattern.<VectorStore.Command, Lifecycle.Initialized>ask(
        store, Lifecycle.Init::new, ASK, system.scheduler()).toCompletableFuture().get(5, TimeUnit.MINUTES); // blocking-ok: benchmark driver thread
    if (!init.isOk()) {
      throw new IllegalStateException("init failed: " + init.error());
    }
    return store;
  }

  private static int spawned;
  private static final Map<ActorRef<VectorStore.Command>, Runnable> STOPPERS = new java.util.concurrent.ConcurrentHashMap<>();

  /** The store as the child of a small parent, so that the driver can stop it and know when it has stopped. */
  static ActorRef<VectorStore.Command> spawn(ActorSystem<Void> system, Behavior<VectorStore.Command> behavior, String name)
      throws Exception {
    CompletableFuture<ActorRef<VectorStore.Command>> child = new CompletableFuture<>();
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    ActorRef<String> parent = system.systemActorOf(Behaviors.<String>setup(ctx -> {
      child.complete(ctx.spawn(behavior, "store"));
      return Behaviors.receive(String.class)
          .onMessage(String.class, msg -> Behaviors.stopped())
          .onSignal(org.apache.pekko.actor.typed.PostStop.class, signal -> {
            stopped.complete(null); // after the child's PostStop, which registered the index's close
            return Behaviors.same();
          })
          .build();
    }), "store-" + name + "-" + (spawned++), org.apache.pekko.actor.typed.Props.empty());
    ActorRef<VectorStore.Command> store = child.get(30, TimeUnit.SECONDS); // blocking-ok: benchmark driver thread
    STOPPERS.put(store, () -> {
      parent.tell("stop");
      stopped.orTimeout(60, TimeUnit.SECONDS).join(); // blocking-ok: benchmark driver thread
    });
    return store;
  }

  /** Stops the store; its index closes after any running batch, and the next open of the directory waits for that. */
  static void stop(ActorSystem<Void> system, ActorRef<VectorStore.Command> store) {
    STOPPERS.remove(store).run();
  }

  /** Upserts of {@value #SLICE} documents, at most {@value #WINDOW} in flight; seconds until the last is durable. */
  static double ingest(ActorSystem<Void> system, ActorRef<VectorStore.Command> store, List<String> texts, String label)
      throws Exception {
    long t0 = System.nanoTime();
    List<CompletableFuture<VectorStore.Upserted>> inFlight = new ArrayList<>();
    int done = 0;
    long lastPrint = t0;
    for (int from = 0; from < texts.size(); from += SLICE) {
      List<VectorStore.Document> slice = new ArrayList<>();
      for (int i = from; i < Math.min(texts.size(), from + SLICE); i++) {
        slice.add(new VectorStore.Document("d" + i, texts.get(i), Map.of("tenant", "t" + (i % 10))));
      }
      CompletionStage<VectorStore.Upserted> ask = AskPattern.askWithStatus(
          store, replyTo -> new VectorStore.Upsert(slice, replyTo), ASK, system.scheduler());
      inFlight.add(ask.toCompletableFuture());
      if (inFlight.size() >= WINDOW) {
        done += inFlight.remove(0).get(5, TimeUnit.MINUTES).ids().size(); // blocking-ok: benchmark driver thread
      }
      long now = System.nanoTime();
      if (now - lastPrint > 2_000_000_000L) {
        lastPrint = now;
        System.out.printf(Locale.ROOT, "   %s: %,d / %,d durable, %.0f docs/s%n", label, done, texts.size(), done / ((now - t0) / 1e9));
      }
    }
    for (CompletableFuture<VectorStore.Upserted> f : inFlight) {
      done += f.get(5, TimeUnit.MINUTES).ids().size(); // blocking-ok: benchmark driver thread
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "   %s: %,d docs in %.1f s = %.0f docs/s%n", label, done, seconds, done / seconds);
    return seconds;
  }

  /** One query at a time (so latency is not queueing); nanoseconds each. Collects hit indexes if {@code found} is given. */
  static long[] queryLatencies(ActorSystem<Void> system, ActorRef<VectorStore.Command> store, List<String> queries, int k,
      List<Set<Integer>> found, String label) throws Exception {
    long[] latencies = new long[queries.size()];
    long lastPrint = System.nanoTime();
    for (int q = 0; q < queries.size(); q++) {
      String query = queries.get(q);
      long t0 = System.nanoTime();
      VectorStore.SearchResult result = AskPattern.<VectorStore.Command, VectorStore.SearchResult>askWithStatus(
          store, replyTo -> new VectorStore.Search(query, k, Map.of(), replyTo), ASK, system.scheduler())
          .toCompletableFuture().get(1, TimeUnit.MINUTES); // blocking-ok: benchmark driver thread
      latencies[q] = System.nanoTime() - t0;
      if (found != null) {
        Set<Integer> ids = new HashSet<>();
        result.hits().forEach(h -> ids.add(Integer.parseInt(h.id().substring(1))));
        found.add(ids);
      }
      if (System.nanoTime() - lastPrint > 2_000_000_000L) {
        lastPrint = System.nanoTime();
        System.out.printf(Locale.ROOT, "   %s: %d / %d%n", label, q + 1, queries.size());
      }
    }
    return latencies;
  }

  static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  static double heapAfterGcMiB() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }

  static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: --name value ...; got " + args[i]);
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    return opts;
  }

  /** The figures of one run, side by side. */
  static final class Report {
    private final List<String> header = new ArrayList<>();
    private final List<String> rows = new ArrayList<>();

    void line(String line) {
      header.add(line);
    }

    void row(String set, String what, String value, String how) {
      rows.add("| " + set + " | " + what + " | " + value + " | " + how + " |");
    }

    String markdown(String args) {
      StringBuilder s = new StringBuilder();
      s.append("# Vector store benchmark\n\n");
      s.append("Command (after `./mvnw -q -B -pl modules/troupe-bench -am install -DskipTests` and ")
          .append("`./mvnw -q -B -pl modules/troupe-bench dependency:build-classpath -Dmdep.outputFile=target/vector-bench.cp`):\n\n")
          .append("```\njava -Xmx2g -Dlogback.configurationFile=logback-bench.xml -cp modules/troupe-bench/target/classes:$(cat modules/troupe-bench/target/vector-bench.cp) io.troupe.bench.vector.VectorBench")
          .append(args.isBlank() ? "" : " " + args).append("\n```\n\n");
      header.forEach(h -> s.append(h).append('\n'));
      s.append("\n| set | measure | value | how |\n|---|---|---|---|\n");
      rows.forEach(r -> s.append(r).append('\n'));
      return s.toString();
    }
  }
}
