package io.troupe.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.Step;
import io.troupe.core.trace.StoredIntent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mapping of a stored intent to spans: ids, parents, names, attributes, content and secrets. */
class IntentSpansTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String ROOT = TRACE.substring(0, 16);

  private static StoredIntent intent(List<IntentEvent> events) {
    List<Step> steps = List.of(
        new Step(1, "guardrail", "intent", "allow", 100, 110, Json.object().put("target", "intent").put("verdict", "allow"),
            "00f067aa0ba902b1", ROOT),
        new Step(2, "model", "chat", "ok", 120, 200, Json.parse("{\"call\":1,\"finishReason\":\"tool_calls\","
            + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"inputTokens\":11,\"outputTokens\":3}"),
            "00f067aa0ba902b2", ROOT),
        new Step(3, "tool", "web_fetch", "ok", 210, 300, Json.parse("{\"callId\":\"call_9\",\"name\":\"web_fetch\",\"ok\":true,"
            + "\"arguments\":{\"url\":\"https://x.test\",\"headers\":\"Authorization: Bearer abc.def.ghi\","
            + "\"password\":\"hunter22\"},\"output\":{\"body\":\"key sk-proj-abcdefghijklmnop\"}}"),
            "00f067aa0ba902b3", ROOT),
        new Step(4, "answer", "final", "ok", 310, 320, Json.object().put("text", "Here it is."), "00f067aa0ba902b4", ROOT));
    IntentView v = new IntentView("i-7", "s-7", IntentStatus.SUCCEEDED, "Fetch x.test", null, 90, 330,
        Outcome.answered("Here it is."), steps, new IntentUsage(11, 3, 1, 1), TRACE);
    return new StoredIntent(v, events);
  }

  @Test
  void aRootAndOneSpanPerStepWithTheRecordedIdsAndGenAiAttributes() {
    IntentSpans.Spans spans = new IntentSpans(false, 4096, "local", "default").of(intent(List.of()));
    assertEquals(TRACE, spans.traceId());
    assertEquals(5, spans.spans().size());
    IntentSpans.SpanRecord root = spans.spans().get(0);
    assertEquals(ROOT, root.spanId());
    assertNull(root.parentSpanId());
    assertEquals(SpanKind.SERVER, root.kind());
    assertEquals(90, root.startNanos());
    assertEquals(330, root.endNanos());
    assertEquals(StatusCode.OK, root.status());

    IntentSpans.SpanRecord model = spans.spans().get(2);
    assertEquals("chat gpt-4o-mini", model.name());
    assertEquals(ROOT, model.parentSpanId());
    assertEquals("openai", model.attributes().get(IntentSpans.PROVIDER));
    assertEquals("gpt-4o-mini", model.attributes().get(IntentSpans.REQUEST_MODEL));
    assertEquals(11L, model.attributes().get(IntentSpans.INPUT_TOKENS));
    assertEquals(List.of("tool_calls"), model.attributes().get(IntentSpans.FINISH_REASONS));

    IntentSpans.SpanRecord tool = spans.spans().get(3);
    assertEquals("execute_tool web_fetch", tool.name());
    assertEquals("call_9", tool.attributes().get(IntentSpans.TOOL_CALL_ID));
    assertNull(tool.attributes().get(IntentSpans.TOOL_ARGUMENTS), "content is off by default");
    assertNull(spans.spans().get(4).attributes().get(IntentSpans.OUTPUT_MESSAGES));
  }

  @Test
  void withContentCaptureTextsArgumentsAndResultsComeWithoutTheirSecrets() {
    IntentSpans.Spans spans = new IntentSpans(true, 4096, "local", "default").of(intent(List.of()));
    String input = spans.spans().get(0).attributes().get(IntentSpans.INPUT_MESSAGES);
    assertTrue(input.contains("Fetch x.test") && input.contains("\"role\":\"user\""), input);
    String args = spans.spans().get(3).attributes().get(IntentSpans.TOOL_ARGUMENTS);
    assertTrue(args.contains("https://x.test"), args);
    assertFalse(args.contains("abc.def.ghi"), args);
    assertFalse(args.contains("hunter22"), args);
    String result = spans.spans().get(3).attributes().get(IntentSpans.TOOL_RESULT);
    assertFalse(result.contains("sk-proj-abcdefghijklmnop"), result);
    assertTrue(spans.spans().get(4).attributes().get(IntentSpans.OUTPUT_MESSAGES).contains("Here it is."));
  }

  @Test
  void anApprovalWaitIsASpanNamedForItsToolWithTheDecision() {
    Step wait = new Step(5, "approval", "send_email", "rejected", 1_000, 9_000, Json.object().put("callId", "call_3")
        .put("tool", "send_email").put("decision", "reject").put("approvalId", "a1"), "00f067aa0ba902b5", ROOT);
    IntentView v = new IntentView("i-8", "s-8", IntentStatus.SUCCEEDED, "Mail it", null, 900, 9_500,
        Outcome.answered("Not sent."), List.of(wait), IntentUsage.NONE, TRACE);
    IntentSpans.SpanRecord span = new IntentSpans(false, 4096, "local", "default").of(new StoredIntent(v, List.of()))
        .spans().get(1);
    assertEquals("approval send_email", span.name());
    assertEquals(1_000, span.startNanos());
    assertEquals(9_000, span.endNanos());
    assertEquals("reject", span.attributes().get(IntentSpans.APPROVAL_DECISION));
    assertEquals("a1", span.attributes().get(IntentSpans.APPROVAL_ID));
    assertEquals("call_3", span.attributes().get(IntentSpans.TOOL_CALL_ID));
  }

  @Test
  void contentIsCutAtTheConfiguredLength() {
    assertEquals(16 + 3, new IntentSpans(true, 16, "local", "default").content("x".repeat(100)).length());
  }

  @Test
  void inACallersTraceTheRootHasItsOwnIdAndTheCallersSpanAsItsParent() {
    StoredIntent stored = intent(List.of(new IntentEvent(1, "intent.accepted", 90, Json.object().put("intentId", "i-7")
        .put("rootSpanId", "a1a2a3a4a5a6a7a8").put("parentSpanId", "b7ad6b7169203331").put("parentSampled", true))));
    IntentSpans.SpanRecord root = new IntentSpans(false, 4096, "local", "default").of(stored).spans().get(0);
    assertEquals("a1a2a3a4a5a6a7a8", root.spanId());
    assertEquals("b7ad6b7169203331", root.parentSpanId());
    assertNull(IntentSpans.Caller.of(intent(List.of(new IntentEvent(1, "intent.accepted", 90,
        Json.object().put("rootSpanId", "a1a2a3a4a5a6a7a8").put("parentSpanId", "not-a-span"))))));
  }

  @Test
  void anIntentWithoutAValidTraceIdIsNotExported() {
    IntentView v = new IntentView("i-1", "s-1", IntentStatus.FAILED, "x", null, 1, 2, null, List.of(), null, null);
    assertNull(new IntentSpans(false, 4096, "local", "default").of(new StoredIntent(v, List.of())));
  }
}
