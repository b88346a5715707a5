package io.troupe.http.intents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.Step;
import io.troupe.core.trace.TraceClock;

/** The one place where an intent becomes JSON (DESIGN.md §4). */
public final class IntentJson {
  private IntentJson() {}

  /** The intent resource. */
  public static ObjectNode resource(IntentView v) {
    ObjectNode o = Json.object();
    o.put("id", v.id());
    o.put("sessionId", v.sessionId());
    o.put("status", v.status().json());
    o.put("text", v.text());
    o.put("agent", v.agentOrDefault());
    o.put("createdAt", TraceClock.iso(v.createdNanos()));
    o.put("finishedAt", v.status().isTerminal() ? TraceClock.iso(v.finishedNanos()) : null);
    o.set("outcome", outcome(v.outcome()));
    ArrayNode steps = o.putArray("steps");
    if (v.steps() != null) {
      v.steps().forEach(s -> steps.add(step(s)));
    }
    ObjectNode usage = usage(v.usage());
    if (v.sessionUsage() != null) {
      usage.set("session", usage(v.sessionUsage()));
    }
    o.set("usage", usage);
    if (v.metadata() != null && !v.metadata().isNull()) {
      o.set("metadata", v.metadata());
    }
    o.put("traceId", v.traceId());
    o.set("links", links(v.id()));
    return o;
  }

  /** The 202 answer to a submit: enough to follow the intent. */
  public static ObjectNode accepted(IntentView v) {
    ObjectNode o = Json.object();
    o.put("id", v.id());
    o.put("sessionId", v.sessionId());
    o.put("status", v.status().json());
    o.put("createdAt", TraceClock.iso(v.createdNanos()));
    o.set("links", links(v.id()));
    return o;
  }

  public static ObjectNode links(String id) {
    ObjectNode links = Json.object();
    links.put("self", self(id));
    links.put("events", self(id) + "/events");
    links.put("trace", self(id) + "/trace");
    return links;
  }

  public static String self(String id) {
    return "/v1/intents/" + id;
  }

  static ObjectNode outcome(Outcome outcome) {
    ObjectNode o = Json.object();
    o.put("answer", outcome == null ? null : outcome.answer());
    if (outcome != null && outcome.output() != null && !outcome.output().isNull()) {
      o.set("output", outcome.output()); // the JSON answer of an agent with an output schema
    }
    o.put("nextAction", outcome == null ? null : outcome.nextAction());
    o.put("error", outcome == null ? null : outcome.error());
    if (outcome != null && outcome.errorCode() != null) {
      o.put("errorCode", outcome.errorCode());
    }
    return o;
  }

  static ObjectNode step(Step s) {
    ObjectNode o = Json.object();
    o.put("seq", s.seq());
    o.put("kind", s.kind());
    o.put("name", s.name());
    o.put("status", s.status());
    o.put("startedAt", s.startedAt());
    o.put("finishedAt", s.finishedAt());
    if (s.startNanos() > 0 && s.endNanos() > 0) {
      o.put("durationMs", (s.endNanos() - s.startNanos()) / 1_000_000.0);
    }
    o.set("detail", s.detail() == null ? Json.object() : s.detail());
    o.put("spanId", s.spanId());
    o.put("parentSpanId", s.parentSpanId());
    return o;
  }

  /** The usage object of the contract (tokens, calls, cost). */
  public static ObjectNode usageJson(IntentUsage usage) {
    return usage(usage);
  }

  static ObjectNode usage(IntentUsage usage) {
    IntentUsage u = usage == null ? IntentUsage.NONE : usage;
    ObjectNode o = Json.object();
    o.put("inputTokens", u.inputTokens());
    o.put("outputTokens", u.outputTokens());
    o.put("totalTokens", u.totalTokens());
    o.put("modelCalls", u.modelCalls());
    o.put("toolCalls", u.toolCalls());
    o.put("costUsd", u.costUsd());
    return o;
  }

  /** The {@code data:} of one server-sent event: an envelope plus the event's own fields. */
  public static ObjectNode event(String intentId, IntentEvent e) {
    return event(intentId, e, java.util.function.UnaryOperator.identity());
  }

  /** As {@link #event(String, IntentEvent)}, with the ids in the event's data shown by {@code shownIds}. */
  public static ObjectNode event(String intentId, IntentEvent e, java.util.function.UnaryOperator<String> shownIds) {
    ObjectNode o = Json.object();
    o.put("intentId", intentId);
    o.put("seq", e.seq());
    o.put("type", e.type());
    o.put("time", TraceClock.iso(e.timeNanos()));
    JsonNode data = e.data();
    if (data != null && data.isObject()) {
      data.fields().forEachRemaining(f -> {
        if (!o.has(f.getKey())) {
          boolean isId = f.getKey().equals("sessionId") || f.getKey().equals("intentId");
          o.set(f.getKey(), isId && f.getValue().isTextual() ? Json.MAPPER.getNodeFactory().textNode(
              shownIds.apply(f.getValue().asText())) : f.getValue());
        }
      });
    } else if (data != null && !data.isNull()) {
      o.set("data", data);
    }
    return o;
  }
}
