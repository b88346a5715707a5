package io.troupe.http.intents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import io.troupe.core.trace.TraceClock;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * An intent's trace in OTLP JSON names: one root span for the intent, one span per step. Times
 * are epoch nanoseconds as JSON numbers; attributes follow the OpenTelemetry GenAI conventions
 * where they apply.
 */
public final class TraceJson {
  private TraceJson() {}

  public static ObjectNode trace(IntentView v) {
    String traceId = v.traceId() == null || v.traceId().isEmpty() ? hash("trace:" + v.id(), 32) : v.traceId();
    String rootSpanId = rootSpanId(v);
    long rootEnd = v.status().isTerminal() ? v.finishedNanos() : 0;

    ObjectNode out = Json.object();
    out.put("traceId", traceId);
    ArrayNode spans = out.putArray("spans");

    ObjectNode root = span(traceId, rootSpanId, null, "intent", v.createdNanos(), rootEnd);
    ObjectNode rootAttrs = (ObjectNode) root.get("attributes");
    rootAttrs.put("troupe.intent.id", v.id());
    rootAttrs.put("troupe.session.id", v.sessionId());
    rootAttrs.put("troupe.intent.status", v.status().json());
    if (v.usage() != null) {
      rootAttrs.put("gen_ai.usage.input_tokens", v.usage().inputTokens());
      rootAttrs.put("gen_ai.usage.output_tokens", v.usage().outputTokens());
    }
    root.put("kind", "SPAN_KIND_SERVER");
    root.set("status", switch (v.status()) {
      case SUCCEEDED -> status("STATUS_CODE_OK", null);
      case ACCEPTED, RUNNING, AWAITING_APPROVAL -> status("STATUS_CODE_UNSET", null);
      default -> status("STATUS_CODE_ERROR", v.outcome() == null || v.outcome().error() == null
          ? v.status().json() : v.outcome().error());
    });
    spans.add(root);

    if (v.steps() != null) {
      for (Step s : v.steps()) {
        String spanId = s.spanId() == null || s.spanId().isEmpty() ? hash("span:" + v.id() + ":" + s.seq(), 16) : s.spanId();
        String parent = s.parentSpanId() == null || s.parentSpanId().isEmpty() ? rootSpanId : s.parentSpanId();
        ObjectNode span = span(traceId, spanId, parent, spanName(s), s.startNanos(), s.endNanos());
        ObjectNode attrs = (ObjectNode) span.get("attributes");
        attrs.put("troupe.step.seq", s.seq());
        attrs.put("troupe.step.kind", s.kind());
        attrs.put("troupe.step.status", s.status());
        if ("tool".equals(s.kind()) && s.name() != null) {
          attrs.put("gen_ai.operation.name", "execute_tool");
          attrs.put("gen_ai.tool.name", s.name());
        } else if ("model".equals(s.kind())) {
          attrs.put("gen_ai.operation.name", "chat");
        }
        flatten(attrs, "troupe.detail", s.detail());
        span.put("kind", "SPAN_KIND_INTERNAL");
        span.set("status", stepStatus(s));
        spans.add(span);
      }
    }
    return out;
  }

  /**
   * Adds a child intent's spans to {@code trace}: its root span (named {@code agent <name>}) under the
   * parent's span {@code parentSpanId}, the tool call that ran it.
   */
  public static void nest(ObjectNode trace, ObjectNode child, String parentSpanId, String agent) {
    ArrayNode spans = (ArrayNode) trace.get("spans");
    for (JsonNode span : child.get("spans")) {
      ObjectNode s = (ObjectNode) span;
      if (s.get("parentSpanId") == null || s.get("parentSpanId").isNull()) {
        s.put("parentSpanId", parentSpanId);
        s.put("name", agent.isEmpty() ? "agent" : "agent " + agent);
        s.put("kind", "SPAN_KIND_INTERNAL");
        ((ObjectNode) s.get("attributes")).put("gen_ai.agent.name", agent);
      }
      spans.add(s);
    }
  }

  /** E.g. {@code tool calculator}, {@code guardrail tool_call calculator}, {@code model}. */
  static String spanName(Step s) {
    String kind = s.kind() == null ? "step" : s.kind();
    if (s.name() == null || s.name().isBlank() || s.name().equals(kind)) {
      return kind;
    }
    return s.name().startsWith(kind + " ") ? s.name() : kind + " " + s.name();
  }

  /**
   * The root span's id: the parent that the steps name but that is no step (the session entity
   * chose it), or a stable id derived from the intent id.
   */
  static String rootSpanId(IntentView v) {
    if (v.steps() != null) {
      Set<String> stepIds = new HashSet<>();
      v.steps().forEach(s -> stepIds.add(s.spanId()));
      for (Step s : v.steps()) {
        String p = s.parentSpanId();
        if (p != null && !p.isEmpty() && !stepIds.contains(p)) {
          return p;
        }
      }
    }
    return hash("root:" + v.id(), 16);
  }

  private static ObjectNode span(String traceId, String spanId, String parent, String name, long start, long end) {
    ObjectNode o = Json.object();
    o.put("traceId", traceId);
    o.put("spanId", spanId);
    o.put("parentSpanId", parent);
    o.put("name", name);
    o.put("startTimeUnixNano", start);
    if (end > 0) {
      o.put("endTimeUnixNano", end);
    } else {
      o.putNull("endTimeUnixNano");
    }
    o.put("startTime", TraceClock.iso(start));
    o.put("endTime", TraceClock.iso(end));
    o.putObject("attributes");
    return o;
  }

  private static ObjectNode stepStatus(Step s) {
    if (s.endNanos() == 0) {
      return status("STATUS_CODE_UNSET", null);
    }
    String st = s.status() == null ? "" : s.status();
    return switch (st) {
      case "ok", "allow", "succeeded" -> status("STATUS_CODE_OK", null);
      case "error", "deny", "fatal", "cancelled", "failed", "timeout" -> status("STATUS_CODE_ERROR", st);
      default -> status("STATUS_CODE_UNSET", null);
    };
  }

  private static ObjectNode status(String code, String message) {
    ObjectNode o = Json.object();
    o.put("code", code);
    if (message != null) {
      o.put("message", message);
    }
    return o;
  }

  /** Scalars of the step detail become attributes; nested values become JSON strings. */
  private static void flatten(ObjectNode attrs, String prefix, JsonNode detail) {
    if (detail == null || !detail.isObject()) {
      return;
    }
    detail.fields().forEachRemaining(f -> {
      JsonNode value = f.getValue();
      String key = prefix + "." + f.getKey();
      if (value.isValueNode()) {
        attrs.set(key, value);
      } else {
        attrs.put(key, value.toString());
      }
    });
  }

  private static String hash(String input, int hexChars) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, hexChars);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
