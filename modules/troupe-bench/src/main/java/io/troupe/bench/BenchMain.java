package io.troupe.bench;

import io.troupe.bench.gateway.GatewaySuite;
import java.util.Arrays;

/**
 * {@code bin/bench <suite> [options]}. Suites: {@code gateway} (issue 3: the LLM gateway alone,
 * whole sessions through the OpenAI provider, and both under faults). Internal commands run one
 * benchmark in a child JVM: {@code fake-server}, {@code gateway-run}, {@code sessions-run}.
 */
public final class BenchMain {
  private BenchMain() {}

  public static final String USAGE = String.join("\n",
      "usage: bin/bench gateway [options]",
      "  --pairs 64:64,256:256,1024:1024   (P:C) pairs of the gateway-alone runs; none = skip them",
      "  --calls 10000                     model calls per gateway-alone run",
      "  --sessions 1000,10000             N of the in-memory-journal session runs",
      "  --durable 1000                    N of the H2 (JDBC journal) session runs; 0 = skip them (so does --sessions 0)",
      "  --faults-calls 10000              gateway-alone calls with 20% 429/500 (at the middle pair); 0 = skip",
      "  --faults-sessions 10000           N of the session run with 20% 429/500; 0 = skip",
      "  --big                             adds N = 100000 to --sessions (slow; bounded by --timeout-s)",
      "  --session-c 256                   gateway bulkhead and pool size of the session runs, min(N, this) (<= ~18000: fds)",
      "  --latency-ms 200 --fail-rate 0.2 --timeout-s 300 --xmx 768m --big-xmx 3g",
      "  --as-shipped false                skip the two runs without the common-pool flag (see docs/benchmarks.md)",
      "  --quick                           a smoke run: 1000 calls, N = 200, ~2 minutes",
      "usage: bin/bench vector [--docs 50000 --queries 300 --minilm-docs 300 --candidates 100]",
      "usage: bin/bench fanout [--n 1000,10000,100000] [--million] [--durable-n 1000,10000] [--pg-n 1000,10000] [--steps 5 --tools 3 --latency-ms 200] [--smoke]",
      "  --pg-n 1000,10000               N of the runs with the node's database and journal on PostgreSQL (default: none;",
      "                                  a fresh database per run; skipped with a message when the server does not answer)",
      "  --pg-url jdbc:postgresql://127.0.0.1:5432/ --pg-user postgres --pg-password ''   the server (a database is appended)",
      "  --xmx-100k 8g --xmx-1m 12g      heap of the runs at N >= 100,000 and N >= 1,000,000 (Troupe needs ~46 KiB a session)",
      "  --smoke                         N = 50 through every implementation, then the memory guard; fails on any error",
      "  --heap-guard-n 2000 --heap-guard-latency-ms 20   the memory guard: one Troupe in-memory run (default: smoke only)",
      "  --max-heap-per-session-kib 8    the guard fails above this heap per session (0: measured, not enforced)",
      "  exits non-zero when any run leaves intents unfinished (no terminal answer at --timeout-s 900)",
      "  one run alone: BENCH_DRIVER_XMX=1g bin/bench fanout-run --impl troupe|bare --journal inmem|h2|postgres --n 10000 [--dump-steps] [--heap-probe]",
      "    --dump-steps: where the first and the last intent's time went; --heap-probe: a class histogram half way",
      "  Troupe (in-memory, H2 and PostgreSQL journal), bare Pekko and Python asyncio side by side; PNG plots with gnuplot",
      "usage: bin/bench init [--delays-ms 500,300,200,100] [--rounds 5]",
      "  supervisor start-up with four slow subsystem inits, divided by the slowest (target <= 1.05)",
      "usage: bin/bench jmh [JMH options] [benchmark regex, e.g. GuardrailBench]",
      "  JMH microbenchmarks of the hot path (io.troupe.bench.jmh); defaults: -f 1 -wi 3 -w 1s -i 5 -r 1s",
      "  -rf json -rff modules/troupe-bench/results/jmh.json; -h lists JMH's options, -l the benchmarks",
      "usage: bin/bench stream [--intents 40 --c 4 --chars 480 --chunk-chars 4 --interval-ms 10 --first-ms 200 --configs 1:0,40:16,120:48,0:0]",
      "  the output guard of streamed answers: latency added to the first token, and characters held back,",
      "  per window:hold-back setting, against a fake model that streams at a steady pace (modules/troupe-bench/results/stream/)",
      "usage: bin/bench telemetry [--n 10000 --rounds 2 --xmx 3g]",
      "  CPU per intent of the fan-out run with metrics off (the floor), metrics on, and metrics on + OTLP export",
      "  to a loopback receiver, alternating round by round (issue 15: at most 10% over the floor; modules/troupe-bench/results/telemetry/)",
      "usage: bin/bench soak [--minutes 2] [--rate 10] [--sample-s 10] [--warmup-s max(30, 20%)] [--latency-ms 50] [--xmx 512m]",
      "  issue 17: one node process under a steady mixed load (tool intents, cancellations, documents); heap after GC,",
      "  threads, file descriptors and temp files every --sample-s; fails if one grows or the node leaves temp files",
      "usage: bin/bench report --file modules/troupe-bench/results/gateway-<time>/suite.json",
      "  writes that run's HTML page again (suite.html next to it) and prints its table");

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      System.out.println(USAGE);
      return;
    }
    if (args[0].equals("jmh")) { // JMH's own options, not ours
      io.troupe.bench.jmh.JmhMain.main(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    Args rest = new Args(args, 1);
    switch (args[0]) {
      case "gateway" -> GatewaySuite.main(rest);
      case "vector" -> io.troupe.bench.vector.VectorBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      case "report" -> GatewaySuite.report(rest);
      case "fake-server" -> GatewaySuite.fakeServer(rest);
      case "gateway-run" -> GatewaySuite.gatewayRun(rest);
      case "sessions-run" -> GatewaySuite.sessionsRun(rest);
      case "fanout" -> io.troupe.bench.fanout.FanoutSuite.main(rest);
      case "init" -> io.troupe.bench.init.InitBench.main(rest);
      case "bare-http" -> io.troupe.bench.ingress.BareHttpServer.main(rest);
      case "fanout-run" -> io.troupe.bench.fanout.FanoutRun.main(rest);
      case "stream" -> io.troupe.bench.stream.StreamBench.main(rest);
      case "telemetry" -> io.troupe.bench.fanout.TelemetryCost.main(rest);
      case "soak" -> io.troupe.bench.soak.SoakSuite.main(rest);
      default -> {
        System.err.println("bench: unknown suite '" + args[0] + "' in " + Arrays.toString(args));
        System.err.println(USAGE);
        System.exit(2);
      }
    }
    System.exit(0);
  }
}
