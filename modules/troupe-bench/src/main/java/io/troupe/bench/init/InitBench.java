package io.troupe.bench.init;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.bench.Args;
import io.troupe.bench.Log;
import io.troupe.bench.Results;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.runtime.SubsystemFactories;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * {@code bin/bench init}: the supervisor starts four subsystems whose Init takes 500, 300, 200 and
 * 100 ms (timers, no thread held). Start-up is from the supervisor's spawn until the last
 * subsystem is ready; divided by the slowest init it is 1.0 when they all run at once, and
 * 1.1 + 0.6 + 0.4 + 0.2 = 2.2 when they run one after another.
 */
public final class InitBench {
  private InitBench() {}

  /** A subsystem that answers Init after {@code delay}. */
  private static <T> Behavior<T> slowInit(String name, Duration delay) {
    return Behaviors.<Object>withTimers(timers -> Behaviors.receiveMessage(msg -> {
      if (msg instanceof Lifecycle.Init init) {
        timers.startSingleTimer(new Answer(init.replyTo(), name), delay);
      } else if (msg instanceof Answer answer) {
        answer.replyTo().tell(Lifecycle.Initialized.ok(answer.name()));
      }
      return Behaviors.same();
    })).unsafeCast();
  }

  private record Answer(ActorRef<Lifecycle.Initialized> replyTo, String name) {}

  public static void main(Args args) throws Exception {
    List<Integer> delays = args.ints("delays-ms", "500,300,200,100");
    int rounds = args.integer("rounds", 5);
    Path out = Path.of(args.str("out", "modules/troupe-bench/results/init.json"));
    SubsystemFactories factories = new SubsystemFactories() {
      public Behavior<Database.Command> database() { return slowInit("database", Duration.ofMillis(delays.get(0))); }
      public Behavior<VectorStore.Command> vectorStore() { return slowInit("vector-store", Duration.ofMillis(delays.get(1))); }
      public Behavior<LlmGateway.Command> llmGateway() { return slowInit("llm-gateway", Duration.ofMillis(delays.get(2))); }
      public Behavior<ToolRegistry.Command> toolRegistry(ActorRef<VectorStore.Command> v, ActorRef<Database.Command> d) {
        return slowInit("tool-registry", Duration.ofMillis(delays.get(3)));
      }
    };
    Config config = ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.port = 0
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.persistence.journal.plugin = "pekko.persistence.journal.inmem"
        pekko.persistence.snapshot-store.plugin = "pekko.persistence.no-snapshot-store"
        """).withFallback(ConfigFactory.load());
    int slowest = delays.stream().mapToInt(Integer::intValue).max().orElse(1);
    int sum = delays.stream().mapToInt(Integer::intValue).sum();
    List<Double> ratios = new ArrayList<>();
    for (int round = 0; round < rounds + 1; round++) {
      CompletableFuture<Long> allReady = new CompletableFuture<>();
      long[] spawned = new long[1];
      Behavior<RuntimeSupervisor.LifecycleEvent> listener = Behaviors.setup(ctx -> {
        Set<String> ready = new HashSet<>();
        return Behaviors.receiveMessage(event -> {
          if (event instanceof RuntimeSupervisor.InitFinished f && f.error() == null && ready.add(f.subsystem())
              && ready.size() == delays.size()) {
            allReady.complete(System.nanoTime());
          }
          return Behaviors.same();
        });
      });
      Behavior<Void> guardian = Behaviors.setup(ctx -> {
        ActorRef<RuntimeSupervisor.LifecycleEvent> l = ctx.spawn(listener, "listener");
        spawned[0] = System.nanoTime();
        ctx.spawn(RuntimeSupervisor.create(factories, config.getConfig("troupe"), l), "troupe");
        return Behaviors.empty();
      });
      ActorSystem<Void> system = ActorSystem.create(guardian, "init-bench", config);
      try {
        long done = allReady.get(30, TimeUnit.SECONDS); // blocking-ok: the driver's main thread
        double ms = (done - spawned[0]) / 1e6;
        if (round > 0) { // the first round warms the JIT up
          ratios.add(ms / slowest);
          Log.info("round %d: start-up %.1f ms, slowest init %d ms: ratio %.3f (sequential would be %.2f)",
              round, ms, slowest, ms / slowest, (double) sum / slowest);
        }
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS); // blocking-ok: main thread
      }
    }
    ratios.sort(Double::compare);
    ObjectNode res = Json.object();
    res.put("delaysMs", delays.toString()).put("rounds", rounds);
    res.put("medianRatio", Results.round3(ratios.get(ratios.size() / 2)));
    res.put("worstRatio", Results.round3(ratios.get(ratios.size() - 1)));
    res.put("sequentialRatio", Results.round3((double) sum / slowest));
    Results.write(out, res);
    Log.info("concurrent init: median start-up / slowest = %.3f, worst %.3f (target <= 1.05; sequential %.2f)",
        res.get("medianRatio").asDouble(), res.get("worstRatio").asDouble(), res.get("sequentialRatio").asDouble());
  }
}
