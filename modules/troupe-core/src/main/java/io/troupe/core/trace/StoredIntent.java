package io.troupe.core.trace;

import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentView;
import java.util.List;

/** A finished intent as the trace store keeps it: its resource (steps included) and its events. */
public record StoredIntent(IntentView view, List<IntentEvent> events) {
  public StoredIntent {
    events = events == null ? List.of() : List.copyOf(events);
  }
}
