package io.troupe.core.trace;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A finished intent as the trace store keeps it: its resource (steps included) and its events. */
public record StoredIntent(IntentView view, List<IntentEvent> events) {
  public StoredIntent {
    events = events == null ? List.of() : List.copyOf(events);
  }

  /** As JSON (UTF-8), as a {@link TraceSink} keeps it; {@link #fromJson} reads it back. */
  public byte[] toJson() {
    return Json.writeBytes(this);
  }

  /**
   * Reads {@link #toJson}'s output back. Absent JSON values (metadata, a step's detail, an event's
   * data) come back as Java null, as they were, not as a JSON null node. Numbers in those values come
   * back in the smallest node type that holds them (a long 1 as an int node): the same JSON.
   */
  public static StoredIntent fromJson(byte[] json) throws IOException {
    StoredIntent read = Json.MAPPER.readValue(json, StoredIntent.class);
    IntentView v = read.view();
    List<Step> steps = new ArrayList<>(v.steps() == null ? 0 : v.steps().size());
    if (v.steps() != null) {
      for (Step s : v.steps()) {
        steps.add(isNull(s.detail())
            ? new Step(s.seq(), s.kind(), s.name(), s.status(), s.startNanos(), s.endNanos(), null, s.spanId(), s.parentSpanId())
            : s);
      }
    }
    List<IntentEvent> events = new ArrayList<>(read.events().size());
    for (IntentEvent e : read.events()) {
      events.add(isNull(e.data()) ? new IntentEvent(e.seq(), e.type(), e.timeNanos(), null) : e);
    }
    IntentView view = new IntentView(v.id(), v.sessionId(), v.status(), v.text(), isNull(v.metadata()) ? null : v.metadata(),
        v.createdNanos(), v.finishedNanos(), v.outcome(), v.steps() == null ? null : List.copyOf(steps), v.usage(),
        v.traceId(), v.sessionUsage());
    return new StoredIntent(view, events);
  }

  private static boolean isNull(JsonNode node) {
    return node != null && node.isNull();
  }
}
