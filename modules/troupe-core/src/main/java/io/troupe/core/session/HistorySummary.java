package io.troupe.core.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.json.WellFormed;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.trace.Ids;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.trace.TraceParent;
import java.util.Locale;
import java.util.Map;

/**
 * One summary call of older history, in flight while a run waits to start: the request, its
 * correlation id, and what its answer means. A plain class; the session entity sends the request
 * through the guardrail ({@link Guardrail.RouteModelCall}, like every model call) and hands the reply
 * to {@link #answered} or {@link #denied}.
 *
 * <p>Its step is a span of the intent: kind {@code model}, name {@code summarize}, seq 0 (before the
 * loop's first step).
 */
final class HistorySummary {

  /**
   * What came of the call.
   *
   * @param summary the summary's text; null when the call failed
   * @param usage the call's usage (counted in the intent's); none on failure
   * @param failure why it failed, or null
   * @param step the span of the call
   */
  record Outcome(String summary, IntentUsage usage, String failure, Step step) {}

  private final long corr;
  private final String intentId;
  private final String rootSpanId;
  private final String spanId;
  private final ChatRequest request;
  private final HistoryWindow.Selection selection;
  private final long startedNanos;

  private HistorySummary(long corr, String intentId, String rootSpanId, String spanId, ChatRequest request,
      HistoryWindow.Selection selection) {
    this.corr = corr;
    this.intentId = intentId;
    this.rootSpanId = rootSpanId;
    this.spanId = spanId;
    this.request = request;
    this.selection = selection;
    this.startedNanos = TraceClock.nowEpochNanos();
  }

  /** The summary of {@code selection.toSummarize()} (merged with {@code previous}) by the run's model. */
  static HistorySummary start(long corr, String intentId, String traceId, String rootSpanId, AgentLoop.Limits limits,
      AgentSpec.Memory memory, String previous, HistoryWindow.Selection selection) {
    String spanId = Ids.spanId();
    String traceparent = traceId == null || traceId.length() != 32 ? null : TraceParent.header(traceId, spanId, true);
    AgentSpec.Model model = new AgentSpec.Model(limits.provider(), limits.model(), limits.temperature(), 0);
    ChatRequest request = HistoryWindow.summaryRequest(model, memory, previous, selection.toSummarize(), traceparent);
    return new HistorySummary(corr, intentId, rootSpanId, spanId, request, selection);
  }

  long corr() {
    return corr;
  }

  String intentId() {
    return intentId;
  }

  String callKey() {
    return intentId + "/summary";
  }

  ChatRequest request() {
    return request;
  }

  HistoryWindow.Selection selection() {
    return selection;
  }

  /** Whether {@code command} (a reply adapted by the session) answers this call. */
  boolean answers(SessionEntity.Command command) {
    return SessionEntity.answersCall(command, corr);
  }

  Outcome answered(LlmGateway.ChatResult result) {
    if (!result.isOk()) return failed(result.failure().code().name().toLowerCase(Locale.ROOT) + ": "
        + result.failure().message());
    ChatResponse response = result.response();
    String text = WellFormed.text(response.message().content());
    text = text == null ? "" : text.strip();
    IntentUsage usage = IntentUsage.NONE.plusModelCall(response.usage());
    ObjectNode detail = detail()
        .put("provider", response.provider())
        .put("model", response.model())
        .put("inputTokens", response.usage().inputTokens())
        .put("outputTokens", response.usage().outputTokens());
    if (response.usage().costUsd() > 0) detail.put("costUsd", response.usage().costUsd());
    if (text.isEmpty()) {
      detail.put("error", "the model's summary was empty");
      return new Outcome(null, usage, "the model's summary was empty", step("error", detail));
    }
    detail.put("summaryChars", text.length());
    return new Outcome(text, usage, null, step("ok", detail));
  }

  /** The guardrail refused the call's input (the older turns, or the spend): no summary. */
  Outcome denied(Map<Integer, Verdict> denied) {
    Verdict v = denied.values().iterator().next();
    return failed("refused by the guardrail (" + v.policy() + "): " + v.reason());
  }

  private Outcome failed(String why) {
    ObjectNode detail = detail().put("error", why);
    return new Outcome(null, IntentUsage.NONE, why, step("error", detail));
  }

  private ObjectNode detail() {
    return Json.object().put("purpose", "memory").put("summarizedMessages", selection.toSummarize().size())
        .put("through", selection.through());
  }

  private Step step(String status, ObjectNode detail) {
    return new Step(0, "model", "summarize", status, startedNanos, TraceClock.nowEpochNanos(), detail, spanId,
        rootSpanId);
  }
}
