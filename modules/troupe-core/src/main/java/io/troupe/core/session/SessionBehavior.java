package io.troupe.core.session;

import io.troupe.core.runtime.Subsystems;
import org.apache.pekko.actor.typed.ActorSystem;

/** Placeholder: replaced by the event-sourced implementation. */
final class SessionBehavior {
  private SessionBehavior() {}

  static void initSharding(ActorSystem<?> system, Subsystems subsystems, SessionSettings settings) {}
}
