package io.troupe.core.session;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * How many intents this node holds in flight: accepted or running in the sessions it hosts. The
 * sessions keep it up to date; the ingress reads it to shed load before memory runs out.
 */
public final class IntentAdmission implements Extension {

  private static final ExtensionId<IntentAdmission> ID = new ExtensionId<>() {
    @Override
    public IntentAdmission createExtension(ActorSystem<?> system) {
      return new IntentAdmission();
    }
  };

  public static IntentAdmission get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final AtomicLong inFlight = new AtomicLong();

  private IntentAdmission() {}

  /** Intents accepted or running in this node's sessions now. */
  public long inFlight() {
    return inFlight.get();
  }

  void add(long delta) {
    if (delta != 0) inFlight.addAndGet(delta);
  }
}
