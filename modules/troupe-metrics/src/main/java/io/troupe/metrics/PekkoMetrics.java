package io.troupe.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.dispatch.Dispatcher;

/**
 * What Pekko shows cheaply: each configured dispatcher's threads and queued tasks (read from its
 * executor at scrape time), and the messages that reached no actor (dead letters and dropped
 * messages, from the event stream). Per-actor mailbox depths are not shown: Pekko's default mailbox
 * cannot count its messages without walking them.
 */
final class PekkoMetrics {
  private PekkoMetrics() {}

  static void bind(ActorSystem<?> system, MeterRegistry registry, Iterable<String> dispatchers) {
    for (String path : dispatchers) {
      if (!system.settings().config().hasPath(path)) continue;
      Object d;
      try {
        d = system.dispatchers().lookup(DispatcherSelector.fromConfig(path));
      } catch (RuntimeException e) {
        continue; // not a dispatcher
      }
      if (d instanceof Dispatcher dispatcher) dispatcher(registry, path, dispatcher);
    }
    deadLetters(system, registry);
  }

  /** The executor is read at each scrape: a dispatcher that shut down when idle gets a new one. */
  private static ExecutorService executor(Dispatcher d) {
    try {
      return d.executorService().executor();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void dispatcher(MeterRegistry registry, String name, Dispatcher d) {
    gauge(registry, "troupe.dispatcher.threads", "Threads of a dispatcher's pool", name, "pool", d,
        e -> e instanceof ForkJoinPool f ? f.getPoolSize() : e instanceof ThreadPoolExecutor t ? t.getPoolSize() : Double.NaN);
    gauge(registry, "troupe.dispatcher.threads", "Threads of a dispatcher's pool", name, "active", d,
        e -> e instanceof ForkJoinPool f ? f.getActiveThreadCount()
            : e instanceof ThreadPoolExecutor t ? t.getActiveCount() : Double.NaN);
    Gauge.builder("troupe.dispatcher.max.threads", d, x -> {
          ExecutorService e = executor(x);
          return e instanceof ForkJoinPool f ? f.getParallelism()
              : e instanceof ThreadPoolExecutor t ? t.getMaximumPoolSize() : Double.NaN;
        })
        .description("The parallelism of a fork-join dispatcher, or the largest pool of a thread-pool one")
        .tag("dispatcher", name).register(registry);
    Gauge.builder("troupe.dispatcher.queued.tasks", d, x -> {
          ExecutorService e = executor(x);
          return e instanceof ForkJoinPool f ? f.getQueuedTaskCount() + f.getQueuedSubmissionCount()
              : e instanceof ThreadPoolExecutor t ? t.getQueue().size() : Double.NaN;
        })
        .description("Tasks (actors with messages to process, futures' callbacks) waiting for a thread of a dispatcher")
        .tag("dispatcher", name).register(registry);
  }

  private static void gauge(MeterRegistry registry, String metric, String description, String dispatcher, String state,
      Dispatcher d, ToDoubleFunction<ExecutorService> read) {
    Gauge.builder(metric, d, x -> {
          ExecutorService e = executor(x);
          return e == null ? Double.NaN : read.applyAsDouble(e);
        })
        .description(description).tags("dispatcher", dispatcher, "state", state).register(registry);
  }

  private static void deadLetters(ActorSystem<?> system, MeterRegistry registry) {
    Counter dead = Counter.builder("troupe.actor.dead.letters").description("Messages that reached no actor, by kind")
        .tag("kind", "dead_letter").register(registry);
    Counter dropped = Counter.builder("troupe.actor.dead.letters").description("Messages that reached no actor, by kind")
        .tag("kind", "dropped").register(registry);
    Behavior<Object> counting = Behaviors.receiveMessage(m -> {
      if (m instanceof Dropped) dropped.increment();
      else dead.increment();
      return Behaviors.same();
    });
    ActorRef<Object> counter = system.systemActorOf(counting, "troupe-metrics-dead-letters", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(DeadLetter.class, counter.narrow()));
    system.eventStream().tell(new EventStream.Subscribe<>(Dropped.class, counter.narrow()));
  }
}
