package io.troupe.testkit.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Faulty links: actors to put between a caller and a subsystem (the guardrail and its targets,
 * for instance), each forwarding to {@code target} with one kind of fault. Delays run on the
 * actor system's scheduler (ManualTime in tests).
 */
public final class Faults {
  private Faults() {}

  /** Delivers every message twice. */
  public static <T> Behavior<T> duplicating(ActorRef<T> target) {
    return Behaviors.receive((ctx, msg) -> {
      target.tell(msg);
      target.tell(msg);
      return Behaviors.same();
    });
  }

  /** Never delivers the messages that match: a subsystem that does not answer them. */
  public static <T> Behavior<T> dropping(ActorRef<T> target, Predicate<? super T> drop) {
    return Behaviors.receive((ctx, msg) -> {
      if (!drop.test(msg)) {
        target.tell(msg);
      }
      return Behaviors.same();
    });
  }

  /** Delivers every message {@code delay} later. */
  public static <T> Behavior<T> delaying(ActorRef<T> target, Duration delay) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      long[] seq = {0};
      return Behaviors.receive(Object.class)
          .onMessage(Due.class, due -> {
            @SuppressWarnings("unchecked")
            T msg = (T) due.message();
            target.tell(msg);
            return Behaviors.same();
          })
          .onAnyMessage(msg -> {
            timers.startSingleTimer("due-" + (++seq[0]), new Due(msg), delay);
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }

  /**
   * Holds messages until {@code window} have come (or {@code flushAfter} has passed since the
   * first one), then delivers them in reverse order of arrival.
   */
  public static <T> Behavior<T> reordering(ActorRef<T> target, int window, Duration flushAfter) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      List<Object> held = new ArrayList<>();
      Runnable flush = () -> {
        timers.cancel("flush");
        List<Object> out = new ArrayList<>(held);
        held.clear();
        Collections.reverse(out);
        for (Object m : out) {
          @SuppressWarnings("unchecked")
          T msg = (T) m;
          target.tell(msg);
        }
      };
      return Behaviors.receive(Object.class)
          .onMessage(Flush.class, f -> {
            flush.run();
            return Behaviors.same();
          })
          .onAnyMessage(msg -> {
            held.add(msg);
            if (held.size() == 1) {
              timers.startSingleTimer("flush", new Flush(), flushAfter);
            }
            if (held.size() >= window) {
              flush.run();
            }
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }

  private record Due(Object message) {}

  private record Flush() {}
}
