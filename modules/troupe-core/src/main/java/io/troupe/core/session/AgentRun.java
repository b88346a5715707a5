package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.json.WellFormed;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.Ids;
import io.troupe.core.trace.TraceClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs one intent through the pipeline: guardrail on the intent, classify, plan, then the agent
 * loop of model turns and tool calls, with a guardrail verdict before every tool call and before
 * the final answer. A deny goes back to the model as feedback; attempts and steps are bounded.
 * Every stage is reported to the session entity, which journals it; the run stops after
 * reporting its end.
 *
 * <p>A resumed run (its node stopped while it ran) starts from the journaled tool turns: results
 * it has are reused, calls never started run now, and a side-effecting call that was started but
 * has no result is settled by the tool's reconciliation instead of being run again.
 */
final class AgentRun extends AbstractBehavior<AgentRun.Command> {

  interface Command {}

  /**
   * From the session: stop the run. The model call is aborted and read-only tool calls are
   * abandoned; side-effecting calls under way are allowed to finish and their results recorded.
   * Then the run reports {@code cancelled} with a conversation in which every call has a result.
   */
  record Cancel() implements Command {}

  private record IntentChecked(Verdict verdict, Throwable failure) implements Command {}

  private record ToolsListed(ToolRegistry.ToolList list, Throwable failure) implements Command {}

  private record PlanChecked(Guardrail.PlanVerdict verdict, Throwable failure) implements Command {}

  private record ModelReplied(int call, LlmGateway.ChatResult result, Throwable failure) implements Command {}

  private record ModelDelta(ChatDelta delta) implements Command {}

  private record CallsChecked(int turn, List<Integer> indices, Guardrail.ToolCallVerdicts verdicts, Throwable failure)
      implements Command {}

  private record CallDone(int turn, int index, ToolResult result, Throwable failure) implements Command {}

  private record EffectJournaled(int turn, int index, Throwable failure) implements Command {}

  private record AnswerChecked(int attempt, String answer, Verdict verdict, Throwable failure) implements Command {}

  private record DeadlinePassed() implements Command {}

  /** Sends the reports queued while handling the messages before it. */
  private enum SendReports implements Command { INSTANCE }

  /** What the run needs to know about its intent; {@code resume} is null for a fresh run. */
  record Input(String intentId, String sessionId, String text, String traceId, List<ChatMessage> history,
      Resume resume) {}

  /** Where a resumed run starts: its tool turns so far, what it used, and when it first started. */
  record Resume(List<ResumedTurn> turns, IntentUsage usage, long startedNanos) {}

  /** A journaled tool turn: the model's calls, the results recorded, and the side effects begun. */
  record ResumedTurn(ChatMessage assistant, Map<String, ChatMessage> results, Set<String> effectsStarted) {
    boolean complete() {
      return assistant.toolCalls().stream().allMatch(c -> results.containsKey(c.id()));
    }
  }

  static Behavior<Command> create(
      Input input, Subsystems subsystems, SessionSettings settings, ActorRef<SessionEntity.Command> session) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startSingleTimer(new DeadlinePassed(), remainingTime(input, settings));
      return new AgentRun(ctx, input, subsystems, settings, session).start();
    }));
  }

  /** A resumed run keeps the deadline of its first start. */
  private static Duration remainingTime(Input input, SessionSettings settings) {
    if (input.resume() == null || input.resume().startedNanos() <= 0) {
      return settings.deadline();
    }
    Duration ran = Duration.ofNanos(TraceClock.nowEpochNanos() - input.resume().startedNanos());
    Duration left = settings.deadline().minus(ran);
    return left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left;
  }

  private final Input input;
  private final Subsystems subsystems;
  private final SessionSettings settings;
  private final ActorRef<SessionEntity.Command> session;
  private final String rootSpanId;
  private final ActorRef<ChatDelta> deltaAdapter;

  private final List<ChatMessage> messages = new ArrayList<>();
  private int transcriptStart;
  private List<ToolSpec> tools = List.of();
  private ToolRegistry.ToolList registered = new ToolRegistry.ToolList(List.of());
  private int stepSeq;
  private long intentCheckStart;
  private long planStartNanos;
  private String planCategory;
  private int modelCalls;
  private long modelStartNanos;
  private long tokensUsed;
  private double costUsd;
  private String modelCallKey; // the model call awaiting its reply, cancelled if the run stops first
  private int answerAttempts;
  private long answerCheckStartNanos;

  // The tool turn in progress: its calls, verdicts, results and timings, by call index.
  private int turn;
  private int toolTurns; // tool turns so far, resumed ones included: part of each call's idempotency key
  private List<ToolCall> calls = List.of();
  private Verdict[] verdicts;
  private ToolResult[] results;
  private ChatMessage[] resultMessages;
  private boolean[] unsettled; // side effects begun before a crash, with no result in the journal
  private boolean[] effectRunning; // side-effecting calls executing (or being settled) now
  private boolean turnOpen; // the assistant's tool calls are in messages, their results not yet
  private boolean cancelling;
  private long[] checkStartNanos;
  private long[] toolStartNanos;
  private int pending;

  // Reports not sent to the session yet: the messages already in the mailbox add theirs first.
  private final List<SessionEntity.RunProgress> unsent = new ArrayList<>();

  private AgentRun(
      ActorContext<Command> ctx,
      Input input,
      Subsystems subsystems,
      SessionSettings settings,
      ActorRef<SessionEntity.Command> session) {
    super(ctx);
    this.input = input;
    this.subsystems = subsystems;
    this.settings = settings;
    this.session = session;
    this.rootSpanId = SessionEntity.rootSpanId(input.traceId());
    this.deltaAdapter = ctx.messageAdapter(ChatDelta.class, ModelDelta::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(IntentChecked.class, this::onIntentChecked)
        .onMessage(ToolsListed.class, this::onToolsListed)
        .onMessage(PlanChecked.class, this::onPlanChecked)
        .onMessage(ModelReplied.class, this::onModelReplied)
        .onMessage(ModelDelta.class, this::onModelDelta)
        .onMessage(CallsChecked.class, this::onCallsChecked)
        .onMessage(CallDone.class, this::onCallDone)
        .onMessage(EffectJournaled.class, this::onEffectJournaled)
        .onMessage(AnswerChecked.class, this::onAnswerChecked)
        .onMessage(SendReports.class, msg -> {
          sendReports();
          return this;
        })
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(DeadlinePassed.class, msg -> cancelling ? finishCancelled() : fail("deadline",
            "The intent did not finish within its deadline of " + settings.deadline().toMillis() + " ms.",
            "simplify_request"))
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  // A cancelled or finished run aborts its in-flight model call: the gateway frees the provider request.
  private Behavior<Command> onPostStop(PostStop signal) {
    if (modelCallKey != null) {
      subsystems.llm().tell(new LlmGateway.CancelChat(modelCallKey));
      modelCallKey = null;
    }
    return this;
  }

  // 1. The guardrail checks the intent itself (a resumed run passed it already).
  private Behavior<Command> start() {
    if (input.resume() != null) {
      return listTools();
    }
    long started = TraceClock.nowEpochNanos();
    Asks.ask(getContext(), Verdict.class, subsystems.guardrail(), settings.guardrailTimeout(),
        replyTo -> new Guardrail.CheckIntent(input.intentId(), input.text(), replyTo),
        (verdict, failure) -> new IntentChecked(verdict, failure));
    this.intentCheckStart = started;
    return this;
  }

  private Behavior<Command> onIntentChecked(IntentChecked msg) {
    if (cancelling) return this;
    if (msg.failure() != null) {
      return fail("unavailable", "the guardrail did not answer: " + msg.failure().getMessage(), "retry_later");
    }
    recordVerdict("intent", null, msg.verdict(), intentCheckStart);
    if (!msg.verdict().isAllow()) {
      return fail("guardrail_denied", "The guardrail denied the intent: " + msg.verdict().reason(), "rephrase_request");
    }
    // 2. Parse and classify.
    long started = TraceClock.nowEpochNanos();
    IntentClassifier.Classification classification = IntentClassifier.classify(input.text());
    ObjectNode detail = classification.toJson();
    report("intent.classified", detail, step("classify", classification.category(), "ok", started, detail));
    // 3. Plan: the tools this run may offer the model.
    planCategory = classification.category();
    return listTools();
  }

  private Behavior<Command> listTools() {
    planStartNanos = TraceClock.nowEpochNanos();
    Asks.ask(getContext(), ToolRegistry.ToolList.class, subsystems.tools(), settings.subsystemTimeout(),
        ToolRegistry.ListTools::new, (list, failure) -> new ToolsListed(list, failure));
    return this;
  }

  private Behavior<Command> onToolsListed(ToolsListed msg) {
    if (cancelling) return this;
    if (msg.failure() != null) {
      return fail("unavailable", "the tool registry did not answer: " + msg.failure().getMessage(), "retry_later");
    }
    registered = msg.list();
    Asks.ask(getContext(), Guardrail.PlanVerdict.class, subsystems.guardrail(), settings.guardrailTimeout(),
        replyTo -> new Guardrail.CheckPlan(input.intentId(), msg.list().tools(), replyTo),
        (verdict, failure) -> new PlanChecked(verdict, failure));
    return this;
  }

  private Behavior<Command> onPlanChecked(PlanChecked msg) {
    if (cancelling) return this;
    if (msg.failure() != null) {
      return fail("unavailable", "the guardrail did not answer: " + msg.failure().getMessage(), "retry_later");
    }
    tools = msg.verdict().allowed();
    if (input.resume() == null) {
      ObjectNode detail = Json.object().put("category", planCategory);
      tools.forEach(t -> detail.withArray("tools").add(t.name()));
      msg.verdict().removed().forEach(detail.withArray("removedByPolicy")::add);
      report("plan.created", detail, step("plan", "tool_selection", "ok", planStartNanos, detail));
    }

    if (!settings.systemPrompt().isBlank()) {
      messages.add(ChatMessage.system(settings.systemPrompt()));
    }
    messages.addAll(input.history());
    transcriptStart = messages.size();
    messages.add(ChatMessage.user(input.text()));
    return input.resume() == null ? callModel() : resume(input.resume());
  }

  /** Replays the journaled tool turns into the conversation, then goes on where the run stopped. */
  private Behavior<Command> resume(Resume resume) {
    modelCalls = resume.usage().modelCalls();
    tokensUsed = resume.usage().totalTokens();
    costUsd = resume.usage().costUsd();
    List<ResumedTurn> turns = resume.turns();
    for (int t = 0; t < turns.size(); t++) {
      ResumedTurn done = turns.get(t);
      if (t == turns.size() - 1 && !done.complete()) {
        return beginToolTurn(done.assistant(), done.results(), done.effectsStarted());
      }
      toolTurns++;
      messages.add(done.assistant());
      done.assistant().toolCalls().forEach(c -> messages.add(done.results().get(c.id())));
    }
    return callModel();
  }

  // 4. The agent loop: one model turn.
  private Behavior<Command> callModel() {
    if (modelCalls >= settings.maxSteps()) {
      return fail("max_steps", "The run reached its limit of " + settings.maxSteps() + " model calls.", "simplify_request");
    }
    modelCalls++;
    int call = modelCalls;
    modelStartNanos = TraceClock.nowEpochNanos();
    report("model.started", Json.object().put("call", call), null);
    ChatRequest request = new ChatRequest(
        settings.model().isBlank() ? null : settings.model(), messages, tools, 0, settings.stream());
    String callKey = input.intentId() + "/model-" + call;
    modelCallKey = callKey;
    Asks.ask(getContext(), LlmGateway.ChatResult.class, subsystems.llm(), settings.modelTimeout(),
        replyTo -> new LlmGateway.Chat(request, deltaAdapter, replyTo, callKey),
        (result, failure) -> new ModelReplied(call, result, failure));
    return this;
  }

  private Behavior<Command> onModelDelta(ModelDelta msg) {
    if (msg.delta().text() != null && !msg.delta().text().isEmpty()) {
      sendReports(); // the deltas follow the steps before them
      session.tell(new SessionEntity.RunDelta(input.intentId(), WellFormed.text(msg.delta().text())));
    }
    return this;
  }

  private Behavior<Command> onModelReplied(ModelReplied msg) {
    if (cancelling || msg.call() != modelCalls) {
      return this;
    }
    if (msg.result() != null) {
      modelCallKey = null; // answered: nothing left to cancel
    }
    if (msg.failure() != null) {
      recordModelStep("error", Json.object().put("error", "timed out"), null, null);
      return fail("timeout", "The model did not answer within " + settings.modelTimeout().toMillis() + " ms.", "retry_later");
    }
    if (!msg.result().isOk()) {
      var failure = msg.result().failure();
      recordModelStep("error", Json.object().put("error", failure.message()), null, null);
      String code = failure.code().name().toLowerCase(Locale.ROOT);
      return fail(code, failure.message(), "retry_later");
    }
    ChatResponse response = wellFormed(msg.result().response());
    ObjectNode detail = Json.object()
        .put("call", msg.call())
        .put("finishReason", response.finishReason().name().toLowerCase(Locale.ROOT))
        .put("provider", response.provider())
        .put("model", response.model())
        .put("inputTokens", response.usage().inputTokens())
        .put("outputTokens", response.usage().outputTokens());
    if (response.usage().costUsd() > 0) detail.put("costUsd", response.usage().costUsd());
    response.message().toolCalls().forEach(c -> detail.withArray("toolCalls").add(c.name()));
    ChatMessage toolTurn = response.hasToolCalls()
        ? ChatMessage.assistantToolCalls(response.message().content(), ensureIds(response.message().toolCalls()))
        : null;
    recordModelStep("ok", detail, response, toolTurn);

    tokensUsed += response.usage().totalTokens();
    costUsd += response.usage().costUsd();
    if (settings.maxTokens() > 0 && tokensUsed > settings.maxTokens()) {
      return fail("max_tokens", "The run used " + tokensUsed + " tokens, over its limit of " + settings.maxTokens() + ".",
          "simplify_request");
    }
    if (settings.maxCostUsd() > 0 && costUsd > settings.maxCostUsd()) {
      return fail("max_cost", String.format(Locale.ROOT, "The run cost %.6f USD, over its limit of %.6f USD.",
          costUsd, settings.maxCostUsd()), "simplify_request");
    }

    if (toolTurn != null) {
      return beginToolTurn(toolTurn, Map.of(), Set.of());
    }
    return checkAnswer(response.message().content());
  }

  // What a model or a tool sends becomes journaled: its text must be encodable (WellFormed).

  private static ChatResponse wellFormed(ChatResponse response) {
    ChatMessage m = response.message();
    String content = WellFormed.text(m.content());
    boolean changed = content != m.content();
    List<ToolCall> calls = new ArrayList<>(m.toolCalls().size());
    for (ToolCall c : m.toolCalls()) {
      ToolCall clean = new ToolCall(WellFormed.text(c.id()), WellFormed.text(c.name()), WellFormed.json(c.arguments()));
      changed |= clean.id() != c.id() || clean.name() != c.name() || clean.arguments() != c.arguments();
      calls.add(clean);
    }
    if (!changed) return response;
    ChatMessage clean = new ChatMessage(m.role(), content, calls, m.toolCallId(), m.name());
    return new ChatResponse(clean, response.usage(), response.finishReason(), response.model(), response.provider());
  }

  private static ToolResult wellFormed(ToolResult result) {
    JsonNode output = WellFormed.json(result.output());
    String error = WellFormed.text(result.error());
    return output == result.output() && error == result.error() ? result
        : new ToolResult(result.callId(), result.name(), output, error);
  }

  /** Journals the model's step; {@code toolTurn}, its tool calls, goes into the run's conversation. */
  private void recordModelStep(String status, ObjectNode detail, ChatResponse response, ChatMessage toolTurn) {
    Step step = step("model", "chat", status, modelStartNanos, detail);
    queue(new SessionEntity.RunProgress(input.intentId(), "model.completed", detail, step,
        response == null ? null : response.usage(), false, toolTurn));
  }

  /**
   * Tool calls of one turn: every verdict first, then all allowed calls at once. A resumed turn
   * brings the results it has ({@code known}) and the side effects it began ({@code begun}).
   */
  private Behavior<Command> beginToolTurn(ChatMessage assistant, Map<String, ChatMessage> known, Set<String> begun) {
    turn++;
    toolTurns++;
    calls = assistant.toolCalls();
    messages.add(assistant);
    turnOpen = true;
    int n = calls.size();
    verdicts = new Verdict[n];
    results = new ToolResult[n];
    resultMessages = new ChatMessage[n];
    unsettled = new boolean[n];
    effectRunning = new boolean[n];
    checkStartNanos = new long[n];
    toolStartNanos = new long[n];
    pending = 0;
    int thisTurn = turn;
    List<Integer> toCheck = new ArrayList<>(n);
    long checkStart = TraceClock.nowEpochNanos();
    for (int i = 0; i < n; i++) {
      ToolCall call = calls.get(i);
      if (known.containsKey(call.id())) {
        verdicts[i] = Verdict.allow();
        resultMessages[i] = known.get(call.id());
      } else if (begun.contains(call.id())) {
        verdicts[i] = Verdict.allow();
        unsettled[i] = true;
      } else {
        pending++;
        checkStartNanos[i] = checkStart;
        toCheck.add(i);
      }
    }
    if (toCheck.isEmpty()) {
      return runAllowedCalls();
    }
    // One check for the whole turn: a verdict per call.
    List<ToolCall> checked = toCheck.stream().map(calls::get).toList();
    Asks.ask(getContext(), Guardrail.ToolCallVerdicts.class, subsystems.guardrail(), settings.guardrailTimeout(),
        replyTo -> new Guardrail.CheckToolCalls(input.intentId(), checked, replyTo),
        (answer, failure) -> new CallsChecked(thisTurn, List.copyOf(toCheck), answer, failure));
    return this;
  }

  private Behavior<Command> onCallsChecked(CallsChecked msg) {
    if (cancelling || msg.turn() != turn) {
      return this;
    }
    for (int k = 0; k < msg.indices().size(); k++) {
      int index = msg.indices().get(k);
      ToolCall call = calls.get(index);
      Verdict verdict = msg.failure() != null
          ? Verdict.deny("guardrail", "the guardrail did not answer in time")
          : msg.verdicts().verdicts().get(k);
      verdicts[index] = verdict;
      recordVerdict("tool_call", call, verdict, checkStartNanos[index]);
      if (verdict.kind() == Verdict.Kind.FATAL) {
        return fail("guardrail_denied", "The guardrail stopped the run at tool '" + call.name() + "': " + verdict.reason(),
            "rephrase_request");
      }
    }
    pending -= msg.indices().size();
    return runAllowedCalls();
  }

  private static List<ToolCall> ensureIds(List<ToolCall> calls) {
    List<ToolCall> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      out.add(c.id() == null || c.id().isBlank() ? new ToolCall("call_" + (i + 1), c.name(), c.arguments()) : c);
    }
    return out;
  }

  /**
   * Every call has its verdict: run the allowed ones concurrently (a side-effecting one once its
   * start is journaled), settle the unsettled ones, and give denied ones an error result.
   */
  private Behavior<Command> runAllowedCalls() {
    int thisTurn = turn;
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      int index = i;
      if (resultMessages[i] != null) {
        continue; // its result is in the journal
      }
      if (unsettled[i]) {
        pending++;
        effectRunning[i] = registered.isSideEffecting(c.name());
        toolStartNanos[i] = TraceClock.nowEpochNanos();
        ToolContext context = contextOf(c);
        Asks.ask(getContext(), ToolResult.class, subsystems.tools(), settings.toolTimeout().plus(Duration.ofSeconds(1)),
            replyTo -> new ToolRegistry.Reconcile(c, context, replyTo),
            (result, failure) -> new CallDone(thisTurn, index, result, failure));
      } else if (verdicts[i].isAllow()) {
        pending++;
        toolStartNanos[i] = TraceClock.nowEpochNanos();
        report("tool.started", Json.object().put("callId", c.id()).put("name", c.name()).set("arguments", c.arguments()), null);
        if (registered.isSideEffecting(c.name())) {
          sendReports(); // the session journals the steps so far with the effect's start
          Asks.ask(getContext(), SessionEntity.EffectRecorded.class, session, settings.subsystemTimeout(),
              replyTo -> new SessionEntity.RunEffectStarting(input.intentId(), c.id(), contextOf(c).idempotencyKey(), replyTo),
              (recorded, failure) -> new EffectJournaled(thisTurn, index, failure));
        } else {
          execute(index);
        }
      } else {
        results[i] = ToolResult.failed(c.id(), c.name(),
            "denied by the guardrail (" + verdicts[i].policy() + "): " + verdicts[i].reason());
        resultMessages[i] = ChatMessage.toolResult(c.id(), c.name(), results[i].contentForModel());
        queue(new SessionEntity.RunProgress(input.intentId(), null, null, null, null, false, resultMessages[i]));
      }
    }
    return pending == 0 ? finishToolTurn() : this;
  }

  private ToolContext contextOf(ToolCall call) {
    return new ToolContext(input.intentId(), input.sessionId(), call.id(),
        input.intentId() + "/" + toolTurns + "/" + call.id());
  }

  private void execute(int index) {
    ToolCall c = calls.get(index);
    effectRunning[index] = registered.isSideEffecting(c.name());
    ToolContext context = contextOf(c);
    int thisTurn = turn;
    Asks.ask(getContext(), ToolResult.class, subsystems.tools(), settings.toolTimeout().plus(Duration.ofSeconds(1)),
        replyTo -> new ToolRegistry.Execute(c, context, replyTo),
        (result, failure) -> new CallDone(thisTurn, index, result, failure));
  }

  private Behavior<Command> onEffectJournaled(EffectJournaled msg) {
    if (msg.turn() != turn || results[msg.index()] != null) {
      return this;
    }
    ToolCall c = calls.get(msg.index());
    if (cancelling) {
      return onCallDone(new CallDone(msg.turn(), msg.index(),
          ToolResult.failed(c.id(), c.name(), "not run: the intent was cancelled before the call started"), null));
    }
    if (msg.failure() == null) {
      execute(msg.index());
      return this;
    }
    return onCallDone(new CallDone(msg.turn(), msg.index(),
        ToolResult.failed(c.id(), c.name(), "not run: its start could not be journaled, so a crash could have hidden it"),
        null));
  }

  private Behavior<Command> onCallDone(CallDone msg) {
    if (msg.turn() != turn || results[msg.index()] != null) {
      return this;
    }
    ToolCall call = calls.get(msg.index());
    ToolResult result = msg.failure() != null
        ? ToolResult.failed(call.id(), call.name(), "the tool did not answer within " + settings.toolTimeout().toMillis() + " ms")
        : wellFormed(msg.result());
    results[msg.index()] = result;
    resultMessages[msg.index()] = ChatMessage.toolResult(call.id(), call.name(), result.contentForModel());
    ObjectNode detail = Json.object().put("callId", call.id()).put("name", call.name()).put("ok", !result.isError());
    detail.set("arguments", call.arguments());
    if (unsettled[msg.index()]) detail.put("reconciled", true);
    if (result.isError()) detail.put("error", result.error());
    else detail.set("output", result.output());
    Step step = step("tool", call.name(), result.isError() ? "error" : "ok", toolStartNanos[msg.index()], detail);
    queue(new SessionEntity.RunProgress(input.intentId(), "tool.completed", detail, step, null, true,
        resultMessages[msg.index()]));
    effectRunning[msg.index()] = false;
    if (cancelling) {
      return effectsRunning() ? this : finishCancelled();
    }
    pending--;
    return pending == 0 ? finishToolTurn() : this;
  }

  // Execute + verify: every call has a result, in call order, before the next model turn.
  private Behavior<Command> finishToolTurn() {
    long started = TraceClock.nowEpochNanos();
    int errors = 0;
    int denied = 0;
    for (int i = 0; i < calls.size(); i++) {
      ToolResult r = results[i];
      if (!verdicts[i].isAllow()) denied++;
      else if (r != null && r.isError()) errors++;
      messages.add(resultMessages[i]);
    }
    turnOpen = false;
    ObjectNode detail = Json.object().put("calls", calls.size()).put("errors", errors).put("denied", denied);
    reportStep(step("verify", "tool_results", errors + denied == 0 ? "ok" : "error", started, detail));
    turn++; // late replies of this turn are ignored from here on
    return callModel();
  }

  // 5. The final answer passes the guardrail, or goes back to the model as feedback.
  private Behavior<Command> checkAnswer(String answer) {
    answerAttempts++;
    int attempt = answerAttempts;
    answerCheckStartNanos = TraceClock.nowEpochNanos();
    Asks.ask(getContext(), Verdict.class, subsystems.guardrail(), settings.guardrailTimeout(),
        replyTo -> new Guardrail.CheckAnswer(input.intentId(), answer, replyTo),
        (verdict, failure) -> new AnswerChecked(attempt, answer, verdict, failure));
    return this;
  }

  private Behavior<Command> onAnswerChecked(AnswerChecked msg) {
    if (cancelling || msg.attempt() != answerAttempts) {
      return this;
    }
    if (msg.failure() != null) {
      return fail("unavailable", "the guardrail did not answer: " + msg.failure().getMessage(), "retry_later");
    }
    Verdict verdict = msg.verdict();
    recordVerdict("answer", null, verdict, answerCheckStartNanos);
    if (verdict.isAllow()) {
      long started = TraceClock.nowEpochNanos();
      reportStep(step("verify", "answer", "ok", started, Json.object().put("chars", msg.answer().length())));
      messages.add(ChatMessage.assistant(msg.answer()));
      long answered = TraceClock.nowEpochNanos();
      reportStep(step("answer", "final", "ok", answered, Json.object().put("text", msg.answer())));
      return finish(IntentStatus.SUCCEEDED, Outcome.answered(msg.answer()));
    }
    if (verdict.kind() == Verdict.Kind.FATAL || answerAttempts >= settings.maxAnswerAttempts()) {
      return fail("guardrail_denied", "The guardrail denied the answer " + answerAttempts + " time(s); last reason: "
          + verdict.reason(), "rephrase_request");
    }
    messages.add(ChatMessage.assistant(msg.answer()));
    messages.add(ChatMessage.user("[guardrail] Your previous answer was rejected: " + verdict.reason()
        + ". Write a different answer."));
    return callModel();
  }

  // Cancellation

  private Behavior<Command> onCancel(Cancel msg) {
    if (cancelling) return this;
    cancelling = true;
    if (modelCallKey != null) {
      subsystems.llm().tell(new LlmGateway.CancelChat(modelCallKey));
      modelCallKey = null;
    }
    return effectsRunning() ? this : finishCancelled();
  }

  private boolean effectsRunning() {
    if (effectRunning == null) return false;
    for (boolean running : effectRunning) {
      if (running) return true;
    }
    return false;
  }

  /**
   * Ends the run {@code cancelled}. Its conversation joins the session's history valid: every tool
   * call has a result (an explicit "cancelled" one where none came), and an assistant turn closes it.
   */
  private Behavior<Command> finishCancelled() {
    List<ChatMessage> transcript = new ArrayList<>();
    if (messages.isEmpty()) {
      transcript.add(ChatMessage.user(input.text()));
    } else {
      transcript.addAll(messages.subList(transcriptStart, messages.size()));
    }
    if (turnOpen) {
      for (int i = 0; i < calls.size(); i++) {
        ToolCall c = calls.get(i);
        transcript.add(resultMessages[i] != null ? resultMessages[i] : ChatMessage.toolResult(c.id(), c.name(),
            ToolResult.failed(c.id(), c.name(), "cancelled: the intent was cancelled before this call finished")
                .contentForModel()));
      }
    }
    transcript.add(ChatMessage.assistant("[cancelled] The request was cancelled before I finished it."));
    sendReports();
    session.tell(new SessionEntity.RunFinished(input.intentId(), IntentStatus.CANCELLED,
        Outcome.failed("cancelled", "The intent was cancelled by request.", "none"), List.copyOf(transcript)));
    return Behaviors.stopped();
  }

  // Reporting

  private void recordVerdict(String target, ToolCall call, Verdict verdict, long startedNanos) {
    ObjectNode detail = Json.object().put("target", target).put("verdict", verdict.kind().name().toLowerCase(Locale.ROOT));
    if (call != null) detail.put("tool", call.name()).put("callId", call.id());
    if (verdict.policy() != null) detail.put("policy", verdict.policy());
    if (verdict.reason() != null) detail.put("reason", verdict.reason());
    String name = call == null ? target : target + " " + call.name();
    report("guardrail.verdict", detail,
        step("guardrail", name, verdict.kind().name().toLowerCase(Locale.ROOT), startedNanos, detail));
  }

  private Step step(String kind, String name, String status, long startedNanos, JsonNode detail) {
    stepSeq++;
    return new Step(stepSeq, kind, name, status, startedNanos, TraceClock.nowEpochNanos(), detail, Ids.spanId(), rootSpanId);
  }

  private void report(String eventType, JsonNode data, Step step) {
    queue(new SessionEntity.RunProgress(input.intentId(), eventType, data, step, null, false, null));
  }

  private void reportStep(Step step) {
    queue(new SessionEntity.RunProgress(input.intentId(), null, null, step, null, false, null));
  }

  /**
   * Queues a report for the session. The reports made while handling the messages already in the
   * mailbox go together in one {@link SessionEntity.RunProgressBatch}: fewer commands for the
   * session, and the same order.
   */
  private void queue(SessionEntity.RunProgress progress) {
    if (unsent.isEmpty()) {
      getContext().getSelf().tell(SendReports.INSTANCE);
    }
    unsent.add(progress);
  }

  private void sendReports() {
    if (unsent.isEmpty()) return;
    session.tell(unsent.size() == 1 ? unsent.get(0) : new SessionEntity.RunProgressBatch(List.copyOf(unsent)));
    unsent.clear();
  }

  private Behavior<Command> fail(String code, String message, String nextAction) {
    return finish(IntentStatus.FAILED, Outcome.failed(code, message, nextAction));
  }

  private Behavior<Command> finish(IntentStatus status, Outcome outcome) {
    List<ChatMessage> transcript = status == IntentStatus.SUCCEEDED
        ? List.copyOf(messages.subList(transcriptStart, messages.size()))
        : List.of();
    sendReports();
    session.tell(new SessionEntity.RunFinished(input.intentId(), status, outcome, transcript));
    return Behaviors.stopped();
  }
}
