package io.troupe.core.session;

import io.troupe.core.CborSerializable;

/** What a subscriber to an intent's events receives: items, then one end. */
public final class EventStream {
  private EventStream() {}

  public interface Message extends CborSerializable {}

  public record Item(IntentEvent event) implements Message {}

  /** The intent is terminal and every event has been sent. */
  public record Completed() implements Message {}

  public record NotFound(String intentId) implements Message {}
}
