package io.troupe.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceId;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import io.troupe.core.trace.StoredIntent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A finished intent as OpenTelemetry spans: one root span for the intent, one per step, with the
 * ids the trace store recorded (those {@code /v1/intents/{id}/trace} and the logs show). Attributes
 * follow the GenAI semantic conventions; content (texts, tool arguments and results, a guardrail's
 * reason) only with {@code capture-content}, and then with anything shaped like a secret removed.
 * No actor types, no SDK state: a pure function of the stored intent.
 */
final class IntentSpans {

  /** One span to emit; {@code parentSpanId} is null for a root without a caller. */
  record SpanRecord(String spanId, String parentSpanId, String name, SpanKind kind, long startNanos, long endNanos,
      Attributes attributes, StatusCode status, String statusMessage) {}

  /** The spans of one intent; {@code traceId} the intent's, the root first; {@code callerSampled} the caller's flag. */
  record Spans(String traceId, List<SpanRecord> spans, boolean callerSampled) {}

  /** The caller's trace context of an intent submitted with a {@code traceparent}, as its accepted event holds it. */
  record Caller(String rootSpanId, String parentSpanId, boolean sampled) {

    /** From the intent's {@code intent.accepted} event, or null when the intent has no caller (or the ids are invalid). */
    static Caller of(StoredIntent intent) {
      for (IntentEvent e : intent.events()) {
        if (!"intent.accepted".equals(e.type())) continue;
        JsonNode d = e.data();
        if (d == null || !d.hasNonNull("parentSpanId") || !d.hasNonNull("rootSpanId")) return null;
        String root = d.get("rootSpanId").asText();
        String parent = d.get("parentSpanId").asText();
        if (!SpanId.isValid(root) || !SpanId.isValid(parent)) return null;
        return new Caller(root, parent, !d.has("parentSampled") || d.get("parentSampled").asBoolean());
      }
      return null;
    }
  }

  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<List<String>> FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
  static final AttributeKey<String> TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
  static final AttributeKey<String> TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
  static final AttributeKey<String> TOOL_TYPE = AttributeKey.stringKey("gen_ai.tool.type");
  static final AttributeKey<String> TOOL_ARGUMENTS = AttributeKey.stringKey("gen_ai.tool.call.arguments");
  static final AttributeKey<String> TOOL_RESULT = AttributeKey.stringKey("gen_ai.tool.call.result");
  static final AttributeKey<String> INPUT_MESSAGES = AttributeKey.stringKey("gen_ai.input.messages");
  static final AttributeKey<String> OUTPUT_MESSAGES = AttributeKey.stringKey("gen_ai.output.messages");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> INTENT_ID = AttributeKey.stringKey("troupe.intent.id");
  static final AttributeKey<String> SESSION_ID = AttributeKey.stringKey("troupe.session.id");
  static final AttributeKey<String> INTENT_STATUS = AttributeKey.stringKey("troupe.intent.status");
  static final AttributeKey<Long> STEP_SEQ = AttributeKey.longKey("troupe.step.seq");
  static final AttributeKey<String> STEP_KIND = AttributeKey.stringKey("troupe.step.kind");
  static final AttributeKey<String> STEP_STATUS = AttributeKey.stringKey("troupe.step.status");
  static final AttributeKey<Double> COST_USD = AttributeKey.doubleKey("troupe.cost_usd");
  static final AttributeKey<String> GUARDRAIL_TARGET = AttributeKey.stringKey("troupe.guardrail.target");
  static final AttributeKey<String> GUARDRAIL_VERDICT = AttributeKey.stringKey("troupe.guardrail.verdict");
  static final AttributeKey<String> GUARDRAIL_POLICY = AttributeKey.stringKey("troupe.guardrail.policy");
  static final AttributeKey<String> GUARDRAIL_REASON = AttributeKey.stringKey("troupe.guardrail.reason");
  static final AttributeKey<String> APPROVAL_DECISION = AttributeKey.stringKey("troupe.approval.decision");
  static final AttributeKey<String> APPROVAL_ID = AttributeKey.stringKey("troupe.approval.id");

  /** Shapes of secrets that are cut out of any content that reaches a span. */
  private static final Pattern[] SECRET_SHAPES = {
    Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]+"),
    Pattern.compile("\\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}"),
    Pattern.compile("\\b(AKIA|ASIA)[A-Z0-9]{16}\\b"),
    Pattern.compile("\\bgh[pousr]_[A-Za-z0-9]{20,}"),
  };
  /** A named secret ({@code "password": "..."}, {@code api_key=...}): the name stays, the value goes. */
  private static final Pattern NAMED_SECRET = Pattern.compile(
      "(?i)\\b(api[_-]?key|x-api-key|authorization|password|passwd|secret|token)(\"?\\s*[:=]\\s*\"?)[^\\s,;&\"'}]+");

  private final boolean captureContent;
  private final int maxContentChars;
  private final String defaultProvider;
  private final String defaultModel;

  IntentSpans(boolean captureContent, int maxContentChars, String defaultProvider, String defaultModel) {
    this.captureContent = captureContent;
    this.maxContentChars = maxContentChars;
    this.defaultProvider = defaultProvider;
    this.defaultModel = defaultModel;
  }

  /** The spans of {@code stored}, or null when it has no valid trace id (nothing can be exported). */
  Spans of(StoredIntent stored) {
    IntentView v = stored.view();
    if (v.traceId() == null || !TraceId.isValid(v.traceId())) return null;
    List<Step> steps = v.steps() == null ? List.of() : v.steps();
    Caller caller = Caller.of(stored);
    String rootSpanId = caller != null ? caller.rootSpanId() : rootSpanId(v.traceId(), steps);
    String callerParentSpanId = caller == null ? null : caller.parentSpanId();
    long rootEnd = v.finishedNanos() > 0 ? v.finishedNanos() : lastEnd(steps, v.createdNanos());

    List<SpanRecord> out = new ArrayList<>(steps.size() + 1);
    out.add(root(v, rootSpanId, callerParentSpanId, rootEnd));
    for (Step s : steps) {
      if (s.spanId() == null || !SpanId.isValid(s.spanId())) continue;
      String parent = s.parentSpanId() == null || !SpanId.isValid(s.parentSpanId()) ? rootSpanId : s.parentSpanId();
      out.add(step(s, parent, s.endNanos() > 0 ? s.endNanos() : rootEnd));
    }
    return new Spans(v.traceId(), out, caller == null || caller.sampled());
  }

  /** The root span's id: the parent the steps name that is no step; else derived from the trace id as the session does. */
  static String rootSpanId(String traceId, List<Step> steps) {
    Set<String> stepIds = new HashSet<>();
    steps.forEach(s -> stepIds.add(s.spanId()));
    for (Step s : steps) {
      String p = s.parentSpanId();
      if (p != null && SpanId.isValid(p) && !stepIds.contains(p)) return p;
    }
    return traceId.substring(0, 16);
  }

  private SpanRecord root(IntentView v, String spanId, String parentSpanId, long end) {
    AttributesBuilder a = Attributes.builder()
        .put(OPERATION, "invoke_agent")
        .put(INTENT_ID, v.id())
        .put(SESSION_ID, v.sessionId())
        .put(INTENT_STATUS, v.status().json());
    if (v.usage() != null) {
      a.put(INPUT_TOKENS, v.usage().inputTokens()).put(OUTPUT_TOKENS, v.usage().outputTokens());
      if (v.usage().costUsd() > 0) a.put(COST_USD, v.usage().costUsd());
    }
    StatusCode status;
    String message = null;
    if (v.status() == IntentStatus.SUCCEEDED) {
      status = StatusCode.OK;
    } else if (v.status().isTerminal()) {
      status = StatusCode.ERROR;
      String code = v.outcome() == null || v.outcome().errorCode() == null ? v.status().json() : v.outcome().errorCode();
      a.put(ERROR_TYPE, code);
      message = code;
    } else {
      status = StatusCode.UNSET;
    }
    if (captureContent) {
      if (v.text() != null) a.put(INPUT_MESSAGES, message("user", v.text(), null));
      if (v.outcome() != null && v.outcome().answer() != null) {
        a.put(OUTPUT_MESSAGES, message("assistant", v.outcome().answer(), "stop"));
      }
    }
    return new SpanRecord(spanId, parentSpanId, "intent", SpanKind.SERVER, v.createdNanos(), end, a.build(), status,
        message);
  }

  private SpanRecord step(Step s, String parent, long end) {
    JsonNode d = s.detail() == null ? Json.object() : s.detail();
    AttributesBuilder a = Attributes.builder()
        .put(STEP_SEQ, (long) s.seq())
        .put(STEP_KIND, nullToEmpty(s.kind()))
        .put(STEP_STATUS, nullToEmpty(s.status()));
    String name = spanName(s);
    SpanKind kind = SpanKind.INTERNAL;
    String kindName = s.kind() == null ? "" : s.kind();
    switch (kindName) {
      case "model" -> {
        kind = SpanKind.CLIENT;
        String provider = text(d, "provider", defaultProvider);
        String model = text(d, "model", defaultModel);
        a.put(OPERATION, "chat").put(PROVIDER, provider).put(REQUEST_MODEL, model);
        if (d.hasNonNull("model")) a.put(RESPONSE_MODEL, model);
        if (d.hasNonNull("inputTokens")) a.put(INPUT_TOKENS, d.get("inputTokens").asLong());
        if (d.hasNonNull("outputTokens")) a.put(OUTPUT_TOKENS, d.get("outputTokens").asLong());
        if (d.hasNonNull("finishReason")) a.put(FINISH_REASONS, List.of(d.get("finishReason").asText()));
        if (d.hasNonNull("costUsd")) a.put(COST_USD, d.get("costUsd").asDouble());
        name = "chat " + model;
      }
      case "tool" -> {
        String tool = text(d, "name", s.name());
        a.put(OPERATION, "execute_tool").put(TOOL_NAME, nullToEmpty(tool)).put(TOOL_TYPE, "function");
        if (d.hasNonNull("callId")) a.put(TOOL_CALL_ID, d.get("callId").asText());
        if (captureContent) {
          if (d.hasNonNull("arguments")) a.put(TOOL_ARGUMENTS, content(d.get("arguments").toString()));
          if (d.hasNonNull("output")) a.put(TOOL_RESULT, content(d.get("output").toString()));
        }
        name = "execute_tool " + tool;
      }
      case "guardrail" -> {
        a.put(GUARDRAIL_TARGET, text(d, "target", "")).put(GUARDRAIL_VERDICT, text(d, "verdict", nullToEmpty(s.status())));
        if (d.hasNonNull("policy")) a.put(GUARDRAIL_POLICY, d.get("policy").asText());
        if (d.hasNonNull("tool")) a.put(TOOL_NAME, d.get("tool").asText());
        if (d.hasNonNull("callId")) a.put(TOOL_CALL_ID, d.get("callId").asText());
        if (captureContent && d.hasNonNull("reason")) a.put(GUARDRAIL_REASON, content(d.get("reason").asText()));
      }
      case "approval" -> {
        a.put(TOOL_NAME, nullToEmpty(s.name()));
        if (d.hasNonNull("callId")) a.put(TOOL_CALL_ID, d.get("callId").asText());
        a.put(APPROVAL_DECISION, text(d, "decision", ""));
        if (d.hasNonNull("approvalId")) a.put(APPROVAL_ID, d.get("approvalId").asText());
        name = "approval " + nullToEmpty(s.name());
      }
      case "answer" -> {
        if (captureContent && d.hasNonNull("text")) a.put(OUTPUT_MESSAGES, message("assistant", d.get("text").asText(), "stop"));
      }
      default -> { }
    }
    StatusCode status = StatusCode.UNSET;
    String message = null;
    String st = s.status() == null ? "" : s.status();
    switch (st) {
      case "ok", "allow", "succeeded" -> status = StatusCode.OK;
      case "error", "deny", "fatal", "cancelled", "failed", "timeout" -> {
        status = StatusCode.ERROR;
        a.put(ERROR_TYPE, "error".equals(st) && !kindName.isEmpty() ? kindName + "_error" : st);
        message = st;
      }
      default -> { }
    }
    return new SpanRecord(s.spanId(), parent, name, kind, s.startNanos(), Math.max(end, s.startNanos()), a.build(),
        status, message);
  }

  /** E.g. {@code guardrail tool_call calculator}, {@code classify}; model and tool calls get GenAI names above. */
  static String spanName(Step s) {
    String kind = s.kind() == null ? "step" : s.kind();
    if (s.name() == null || s.name().isBlank() || s.name().equals(kind)) return kind;
    return s.name().startsWith(kind + " ") ? s.name() : kind + " " + s.name();
  }

  /** One message in the GenAI conventions' JSON shape: {@code [{"role", "parts":[{"type":"text","content"}]}]}. */
  private String message(String role, String text, String finishReason) {
    ArrayNode messages = Json.MAPPER.createArrayNode();
    ObjectNode m = messages.addObject().put("role", role);
    m.putArray("parts").addObject().put("type", "text").put("content", content(text));
    if (finishReason != null) m.put("finish_reason", finishReason);
    return messages.toString();
  }

  /** Content as it may reach a span: secrets cut out, then bounded. */
  String content(String text) {
    String out = redact(text);
    return out.length() <= maxContentChars ? out : out.substring(0, maxContentChars) + "...";
  }

  static String redact(String text) {
    if (text == null) return "";
    String out = text;
    for (Pattern p : SECRET_SHAPES) {
      out = p.matcher(out).replaceAll(Matcher.quoteReplacement("[redacted]"));
    }
    return NAMED_SECRET.matcher(out).replaceAll("$1$2[redacted]");
  }

  private static long lastEnd(List<Step> steps, long fallback) {
    long end = fallback;
    for (Step s : steps) end = Math.max(end, Math.max(s.startNanos(), s.endNanos()));
    return end;
  }

  private static String text(JsonNode d, String field, String fallback) {
    JsonNode n = d.get(field);
    return n == null || n.isNull() || n.asText().isEmpty() ? fallback : n.asText();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
