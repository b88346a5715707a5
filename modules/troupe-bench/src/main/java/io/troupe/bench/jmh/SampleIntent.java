package io.troupe.bench.jmh;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.Step;
import java.util.ArrayList;
import java.util.List;

/**
 * The journal events of one realistic intent, shaped as AgentRun reports them: the intent's
 * guardrail verdict, a plan, {@value #TOOL_TURNS} model turns of {@value #CALLS_PER_TURN} calculator
 * calls each (model.started, model.completed, a verdict, tool.started and tool.completed per call),
 * then the answering turn (model, answer verdict, verify, answer). 40 progress events (27 of them
 * with a step), 43 events with the intent's acceptance, start and end.
 */
final class SampleIntent {
  static final int TOOL_TURNS = 3;
  static final int CALLS_PER_TURN = 3;
  static final String INTENT_ID = "in_01JD7Q3N6Y8W2K4M5P6R7S8T9V";
  static final String SESSION_ID = "se_01JD7Q3N6Y8W2K4M5P6R7S8T9A";
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final long T0 = 1_795_000_000_000_000_000L;

  final SessionEntity.IntentAccepted accepted;
  final SessionEntity.IntentStarted started;
  final List<SessionEntity.IntentProgressed> progressed = new ArrayList<>();
  final SessionEntity.IntentFinished finished;
  /** The biggest usual step: a tool's result, with its step, usage and message. */
  final SessionEntity.IntentProgressed toolCompleted;
  final IntentView view;

  private long seq = 1; // intent.accepted is event 1
  private int stepSeq;
  private long now = T0;
  private IntentUsage usage = IntentUsage.NONE;

  SampleIntent() {
    accepted = new SessionEntity.IntentAccepted(INTENT_ID, GuardrailBench.INTENT, Json.object().put("team", "ops"),
        "key-42", TRACE_ID, now);
    started = new SessionEntity.IntentStarted(INTENT_ID, tick());
    List<ChatMessage> transcript = new ArrayList<>(List.of(ChatMessage.user(GuardrailBench.INTENT)));
    List<Step> steps = new ArrayList<>();

    verdict("intent", null, steps);
    progress(null, null, step("plan", "classify", Json.object().put("category", "tools"), steps), null);
    SessionEntity.IntentProgressed lastTool = null;
    for (int turn = 1; turn <= TOOL_TURNS; turn++) {
      List<ToolCall> calls = new ArrayList<>();
      for (int c = 1; c <= CALLS_PER_TURN; c++) {
        calls.add(new ToolCall("call_" + turn + "_" + c, "calculator",
            Json.object().put("expression", "(2340 * 17%) + " + turn + c + " / 4")));
      }
      ChatMessage assistant = ChatMessage.assistantToolCalls("", calls);
      transcript.add(assistant);
      modelTurn(turn, assistant, steps);
      for (ToolCall call : calls) verdict("tool_call", call, steps);
      for (ToolCall call : calls) {
        progress("tool.started", Json.object().put("callId", call.id()).put("name", call.name())
            .set("arguments", call.arguments()), null, null);
      }
      for (ToolCall call : calls) {
        ObjectNode output = Json.object().put("expression", call.arguments().path("expression").asText())
            .put("result", 397.8 + turn);
        ObjectNode detail = Json.object().put("callId", call.id()).put("name", call.name()).put("ok", true);
        detail.set("arguments", call.arguments());
        detail.set("output", output);
        ChatMessage result = ChatMessage.toolResult(call.id(), call.name(), output.toString());
        transcript.add(result);
        usage = usage.plusToolCall();
        lastTool = progress("tool.completed", detail, step("tool", call.name(), detail, steps), result);
      }
    }
    toolCompleted = lastTool;
    modelTurn(TOOL_TURNS + 1, null, steps);
    verdict("answer", null, steps);
    progress(null, null, step("verify", "answer", Json.object().put("chars", GuardrailBench.ANSWER.length()), steps),
        null);
    progress(null, null, step("answer", "final", Json.object().put("text", GuardrailBench.ANSWER), steps), null);
    transcript.add(ChatMessage.assistant(GuardrailBench.ANSWER));

    Outcome outcome = Outcome.answered(GuardrailBench.ANSWER);
    IntentEvent end = new IntentEvent(++seq, IntentStatus.SUCCEEDED.eventType(), tick(),
        Json.object().put("status", IntentStatus.SUCCEEDED.json()).put("answer", GuardrailBench.ANSWER));
    finished = new SessionEntity.IntentFinished(INTENT_ID, IntentStatus.SUCCEEDED, outcome, end.timeNanos(), end.seq(), usage,
        List.copyOf(transcript));
    view = new IntentView(INTENT_ID, SESSION_ID, IntentStatus.SUCCEEDED, GuardrailBench.INTENT, accepted.metadata(),
        T0, now, outcome, List.copyOf(steps), usage, TRACE_ID, usage);
  }

  /** Every event of the intent in journal order. */
  List<SessionEntity.Event> events() {
    List<SessionEntity.Event> all = new ArrayList<>();
    all.add(accepted);
    all.add(started);
    all.addAll(progressed);
    all.add(finished);
    return all;
  }

  private void modelTurn(int call, ChatMessage assistant, List<Step> steps) {
    progress("model.started", Json.object().put("call", call), null, null);
    ObjectNode detail = Json.object().put("call", call)
        .put("finishReason", assistant == null ? "stop" : "tool_calls")
        .put("provider", "openai").put("model", "gpt-4o-mini")
        .put("inputTokens", 850 + 120 * call).put("outputTokens", assistant == null ? 140 : 60);
    if (assistant != null) assistant.toolCalls().forEach(c -> detail.withArray("toolCalls").add(c.name()));
    usage = usage.plusModelCall(new io.troupe.core.llm.Usage(850 + 120 * call, assistant == null ? 140 : 60));
    progress("model.completed", detail, step("model", "chat", detail, steps), assistant);
  }

  private void verdict(String target, ToolCall call, List<Step> steps) {
    ObjectNode detail = Json.object().put("target", target).put("verdict", "allow");
    if (call != null) detail.put("tool", call.name()).put("callId", call.id());
    progress("guardrail.verdict", detail,
        step("guardrail", call == null ? target : target + " " + call.name(), detail, steps), null);
  }

  private Step step(String kind, String name, ObjectNode detail, List<Step> steps) {
    long start = now;
    Step step = new Step(++stepSeq, kind, name, "ok", start, tick(), detail,
        String.format("%016x", 0x1000L + stepSeq), TRACE_ID.substring(0, 16));
    steps.add(step);
    return step;
  }

  /** The event as the session journals it; usage only when it changed, as onRunProgress does. */
  private SessionEntity.IntentProgressed progress(String type, ObjectNode data, Step step, ChatMessage message) {
    IntentEvent event = type == null ? null : new IntentEvent(++seq, type, tick(), data);
    IntentUsage changed = message != null || (step != null && step.kind().equals("model")) ? usage : null;
    SessionEntity.IntentProgressed e = new SessionEntity.IntentProgressed(INTENT_ID, event, step, changed, message);
    progressed.add(e);
    return e;
  }

  private long tick() {
    now += 1_234_567;
    return now;
  }
}
