package io.troupe.testkit;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Replies collected for the test thread, which may poll them with a (real-time) bound and no
 * failure when none came: the driver of a simulation then advances virtual time instead.
 */
public final class Inbox<T> {
  private final LinkedBlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final ActorRef<T> ref;

  private Inbox(ActorTestKit kit) {
    this.ref = kit.spawn(Behaviors.receive((ctx, msg) -> {
      queue.add(msg);
      return Behaviors.same();
    }));
  }

  public static <T> Inbox<T> create(ActorTestKit kit) {
    return new Inbox<>(kit);
  }

  public ActorRef<T> ref() {
    return ref;
  }

  /** The next message, waiting at most {@code within} of real time; null when none came. */
  public T poll(Duration within) {
    try {
      return queue.poll(within.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The next message if one is there, else null. */
  public T poll() {
    return queue.poll();
  }
}
