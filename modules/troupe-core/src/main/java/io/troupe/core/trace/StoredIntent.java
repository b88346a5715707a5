package io.troupe.core.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
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

  /**
   * How it is written: an event whose data is a step's detail (most of them: a verdict, a model or a
   * tool call) names that step instead of carrying the same JSON again.
   */
  private record Written(IntentView view, List<WrittenEvent> events) {}

  private record WrittenEvent(long seq, String type, long timeNanos, JsonNode data, Integer step) {}

  /** The same mapper as {@link Json#MAPPER}, writing CBOR: about a third less CPU than JSON text. */
  private static final ObjectMapper CBOR = Json.MAPPER.copyWith(new CBORFactory());

  /** As a {@link TraceSink} keeps it: {@link #toJson}'s structure in CBOR; {@link #decode} reads it back. */
  public byte[] encode() {
    try {
      return CBOR.writeValueAsBytes(written());
    } catch (IOException e) {
      throw new IllegalStateException("could not encode the trace of " + view.id(), e);
    }
  }

  /** Reads {@link #encode}'s output, or {@link #toJson}'s (the sink's rows before traces were CBOR). */
  public static StoredIntent decode(byte[] bytes) throws IOException {
    boolean json = bytes.length > 0 && bytes[0] == '{';
    return read(json ? Json.MAPPER.readValue(bytes, Written.class) : CBOR.readValue(bytes, Written.class));
  }

  /** As JSON (UTF-8); {@link #fromJson} reads it back. */
  public byte[] toJson() {
    return Json.writeBytes(written());
  }

  /**
   * An event names the (first) step whose detail it carries. Found by identity, scanning the steps:
   * a few thousand reference comparisons per intent cost less than hashing each detail.
   */
  private Written written() {
    List<Step> steps = view.steps() == null ? List.of() : view.steps();
    List<WrittenEvent> written = new ArrayList<>(events.size());
    for (IntentEvent e : events) {
      Integer step = e.data() == null ? null : stepWithDetail(steps, e.data());
      written.add(new WrittenEvent(e.seq(), e.type(), e.timeNanos(), step == null ? e.data() : null, step));
    }
    return new Written(view, written);
  }

  private static Integer stepWithDetail(List<Step> steps, JsonNode data) {
    for (Step s : steps) {
      if (s.detail() == data) return s.seq();
    }
    return null;
  }

  /**
   * Reads {@link #toJson}'s output back. Absent JSON values (metadata, a step's detail, an event's
   * data) come back as Java null, as they were, not as a JSON null node. Numbers in those values come
   * back in the smallest node type that holds them (a long 1 as an int node): the same JSON.
   */
  public static StoredIntent fromJson(byte[] json) throws IOException {
    return read(Json.MAPPER.readValue(json, Written.class));
  }

  private static StoredIntent read(Written read) {
    IntentView v = read.view();
    List<Step> steps = new ArrayList<>(v.steps() == null ? 0 : v.steps().size());
    if (v.steps() != null) {
      for (Step s : v.steps()) {
        steps.add(isNull(s.detail())
            ? new Step(s.seq(), s.kind(), s.name(), s.status(), s.startNanos(), s.endNanos(), null, s.spanId(), s.parentSpanId())
            : s);
      }
    }
    java.util.Map<Integer, JsonNode> details = new java.util.HashMap<>();
    steps.forEach(s -> details.put(s.seq(), s.detail()));
    List<IntentEvent> events = new ArrayList<>(read.events().size());
    for (WrittenEvent e : read.events()) {
      JsonNode data = e.step() != null ? details.get(e.step()) : isNull(e.data()) ? null : e.data();
      events.add(new IntentEvent(e.seq(), e.type(), e.timeNanos(), data));
    }
    IntentView view = new IntentView(v.id(), v.sessionId(), v.status(), v.text(), isNull(v.metadata()) ? null : v.metadata(),
        v.createdNanos(), v.finishedNanos(), v.outcome(), v.steps() == null ? null : List.copyOf(steps), v.usage(),
        v.traceId(), v.sessionUsage(), v.agent());
    return new StoredIntent(view, events);
  }

  private static boolean isNull(JsonNode node) {
    return node != null && node.isNull();
  }
}
