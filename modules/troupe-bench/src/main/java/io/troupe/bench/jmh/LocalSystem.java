package io.troupe.bench.jmh;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A local actor system with Troupe's reference configuration (serialization bindings included),
 * and a way to build an object that needs an {@link ActorContext} without running it as an actor.
 */
final class LocalSystem {
  private LocalSystem() {}

  static Config config() {
    return ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loglevel = WARNING",
            "pekko.log-dead-letters = 0"))
        .withFallback(ConfigFactory.defaultReference()).resolve();
  }

  static ActorSystem<Void> create(String name) {
    return ActorSystem.create(Behaviors.empty(), name, config());
  }

  /**
   * A system whose guardian hands its context to {@code build} once; the result comes back here.
   * The context is only used to construct {@code T}; the object is then called from the benchmark
   * thread, which is fine for the pure methods measured here.
   */
  static <T> Built<T> withContext(String name, Function<ActorContext<Void>, T> build) {
    CompletableFuture<T> built = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.<Void>setup(ctx -> {
      try {
        built.complete(build.apply(ctx));
      } catch (RuntimeException e) {
        built.completeExceptionally(e);
      }
      return Behaviors.empty();
    }), name, config());
    return new Built<>(system, built.join());
  }

  record Built<T>(ActorSystem<Void> system, T value) {}
}
