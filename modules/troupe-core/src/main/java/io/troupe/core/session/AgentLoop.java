package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.AgentTools;
import io.troupe.core.agent.ChildRun;
import io.troupe.core.agent.OutputSchema;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.json.WellFormed;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.Ids;
import io.troupe.core.trace.TraceClock;
import io.troupe.core.trace.TraceParent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The agent loop of one intent, as a plain state machine with no actor in it: {@code step(event)}
 * returns the next {@link Decision}. The session entity hosts it, carries out its decisions (through
 * the guardrail) and feeds it what comes back. Every stage is recorded as a step (a span) and an
 * event of the intent's stream, through a {@link Recorder}.
 *
 * <p>Pipeline: check the intent (the guardrail answers with the plan: the tools the model may be
 * offered), classify, then model turns; a turn's tool calls run concurrently and their results are
 * appended in call order; the final answer is checked. A deny is fed back; attempts are bounded.
 */
public final class AgentLoop {

  // Decisions: what the host does next.

  public sealed interface Decision {}

  /** Ask the guardrail about the intent (and for the plan). {@code resumed}: it passed before a crash. */
  public record CheckIntent(String text, boolean resumed) implements Decision {}

  /** Route a model call; {@code newFrom} is the index of the first message the last call did not send. */
  public record CallModel(int call, ChatRequest request, int newFrom, String callKey) implements Decision {}

  /**
   * Route the calls of tool turn {@code turn} at {@code indices}. Side-effecting calls among them have
   * an idempotency key and must be journaled before they run; {@code reconcile} lists calls begun before
   * a crash whose outcome is unknown.
   */
  public record RunTools(int turn, List<ToolCall> calls, List<Integer> indices, List<Integer> reconcile,
      Map<String, String> effectKeys, Map<Integer, String> approved, Map<String, ChildRun> children)
      implements Decision {
    public RunTools(int turn, List<ToolCall> calls, List<Integer> indices, List<Integer> reconcile,
        Map<String, String> effectKeys, Map<Integer, String> approved) {
      this(turn, calls, indices, reconcile, effectKeys, approved, Map.of());
    }

    public RunTools(int turn, List<ToolCall> calls, List<Integer> indices, List<Integer> reconcile,
        Map<String, String> effectKeys) {
      this(turn, calls, indices, reconcile, effectKeys, Map.of(), Map.of());
    }
  }

  /**
   * The model handed the conversation from agent {@code from} to agent {@code to} (call {@code callId}):
   * journal it, then carry out {@code then} (the new agent's plan is asked for).
   */
  public record HandOff(String from, String to, String callId, Decision then) implements Decision {}

  /**
   * The calls at {@code indices} of tool turn {@code turn} need a person's approval under the policy
   * version {@code policyVersion}; the turn waits for {@link ApprovalDecided}.
   */
  public record AwaitApproval(int turn, List<Integer> indices, List<ToolCall> calls, List<Verdict> verdicts,
      String policyVersion) implements Decision {}

  /** Ask the guardrail about the final answer. */
  public record CheckAnswer(int attempt, String answer) implements Decision {}

  /** Journal these messages of the conversation (a resume starts from them), then carry out {@code then}. */
  public record Checkpoint(List<ChatMessage> messages, Decision then) implements Decision {}

  /** The run is over. {@code transcript} joins the session's history. */
  public record Finish(IntentStatus status, Outcome outcome, List<ChatMessage> transcript) implements Decision {}

  /** Nothing to do until the next event. */
  public enum Wait implements Decision { INSTANCE }

  // Events: what the host feeds back.

  public sealed interface Event {}

  /** The guardrail's verdict on the intent, with the tools the plan may offer. */
  public record IntentChecked(Verdict verdict, List<ToolSpec> plan, List<String> removedByPolicy) implements Event {}

  public record ModelReplied(int call, LlmGateway.ChatResult result) implements Event {}

  /**
   * The guardrail refused messages of a model call's input: the message at each index is replaced by
   * an error naming the policy, and the call is made again. A {@code FATAL} verdict ends the run.
   */
  public record ModelInputDenied(int call, Map<Integer, Verdict> denied) implements Event {}

  /** The guardrail's verdicts on a turn's routed calls, in the order of the indices routed. */
  public record ToolsChecked(int turn, List<Integer> indices, List<Verdict> verdicts, String policyVersion)
      implements Event {
    public ToolsChecked(int turn, List<Integer> indices, List<Verdict> verdicts) {
      this(turn, indices, verdicts, null);
    }
  }

  /**
   * A person decided call {@code index} of turn {@code turn} ({@code timedOut}: nobody did in time,
   * and it counts as rejected). Approved, it runs as it is, under the policy version it was approved
   * at; rejected, the model gets the rejection as its result.
   */
  public record ApprovalDecided(int turn, int index, boolean approved, String comment, String policyVersion,
      boolean timedOut, String approvalId, long requestedNanos, long decidedNanos) implements Event {
    public ApprovalDecided(int turn, int index, boolean approved, String comment, String policyVersion) {
      this(turn, index, approved, comment, policyVersion, false, null, 0, 0);
    }

    public ApprovalDecided(int turn, int index, boolean approved, String comment, String policyVersion,
        boolean timedOut) {
      this(turn, index, approved, comment, policyVersion, timedOut, null, 0, 0);
    }
  }

  public record ToolResulted(int turn, int index, ToolResult result) implements Event {}

  public record AnswerChecked(int attempt, Verdict verdict) implements Event {}

  /**
   * The model judge's verdict on the intent, come in parallel with the run: a deny ends it
   * (tripwire). {@code failure}: what went wrong when {@code fail-open} made the verdict, else null.
   */
  public record Judged(Verdict verdict, double millis, String failure) implements Event {}

  public record Cancelled() implements Event {}

  /** The output guard refused the text model call {@code call} was streaming; the call was stopped. */
  public record StreamRefused(int call, Verdict verdict) implements Event {}

  public record DeadlinePassed() implements Event {}

  /** Where the loop writes its steps (spans) and stream events. */
  public interface Recorder {
    void step(Step step);

    void event(String type, JsonNode data);
  }

  /**
   * The other agents a run may call as tools ({@code agents}) or hand over to ({@code handoffs}).
   *
   * @param find an agent by name, or null when there is none
   * @param limitsOf the limits of a run of the agent of that name (after a handoff)
   * @param depth how deep this run is: 0 for an intent of a client, the parent's plus one for a child
   * @param maxDepth the deepest a child may run ({@code troupe.agent.max-agent-depth})
   */
  public record Team(Function<String, AgentSpec> find, Function<String, Limits> limitsOf, int depth, int maxDepth) {
    public static final Team NONE = new Team(name -> null, name -> null, 0, 0);
  }

  /** Where a resumed run starts: the journaled conversation of the run, and its side effects. */
  public record Resume(List<ChatMessage> messages, Set<String> effectsStarted, Map<String, ChatMessage> effectResults,
      IntentUsage usage) {}

  /**
   * Settings of one run: the session's, and its agent's (instructions, model, steps, output schema).
   *
   * @param agent the agent's name
   * @param provider the gateway provider the agent names, empty for the primary
   * @param temperature null for the provider's default
   * @param maxOutputTokens per model call, 0 for the provider's default
   * @param outputSchema the schema of the final answer, or null for a text answer
   */
  public record Limits(String model, boolean stream, int maxSteps, int maxAnswerAttempts, String systemPrompt,
      long maxTokens, double maxCostUsd, long deadlineMillis, String agent, String provider, Double temperature,
      int maxOutputTokens, OutputSchema outputSchema) {

    /** The session's settings with no agent of its own (the agent {@code default} as troupe.agent has it). */
    public Limits(String model, boolean stream, int maxSteps, int maxAnswerAttempts, String systemPrompt,
        long maxTokens, double maxCostUsd, long deadlineMillis) {
      this(model, stream, maxSteps, maxAnswerAttempts, systemPrompt, maxTokens, maxCostUsd, deadlineMillis,
          AgentSpec.DEFAULT, "", null, 0, null);
    }

    static Limits of(SessionSettings s) {
      return new Limits(s.model(), s.stream(), s.maxSteps(), s.maxAnswerAttempts(), s.systemPrompt(), s.maxTokens(),
          s.maxCostUsd(), s.deadline().toMillis());
    }

    /** The session's settings under an agent: its instructions, model, max-steps, budget and output schema. */
    public static Limits of(SessionSettings s, AgentSpec agent) {
      AgentSpec.Budget budget = agent.budget();
      return new Limits(agent.model().name(), s.stream() && agent.outputSchema() == null, agent.maxSteps(),
          s.maxAnswerAttempts(), agent.instructions(),
          budget.maxTokens() > 0 ? budget.maxTokens() : s.maxTokens(),
          budget.maxCostUsd() > 0 ? budget.maxCostUsd() : s.maxCostUsd(), s.deadline().toMillis(),
          agent.name(), agent.model().provider(), agent.model().temperature(), agent.model().maxTokens(),
          agent.outputSchema());
    }

    /** The same limits with at most {@code steps} model calls (a child gets what its parent has left). */
    public Limits withMaxSteps(int steps) {
      return new Limits(model, stream, steps, maxAnswerAttempts, systemPrompt, maxTokens, maxCostUsd, deadlineMillis,
          agent, provider, temperature, maxOutputTokens, outputSchema);
    }

    /** The same limits with this output schema (tests). */
    public Limits withOutputSchema(OutputSchema schema) {
      return new Limits(model, stream && schema == null, maxSteps, maxAnswerAttempts, systemPrompt, maxTokens,
          maxCostUsd, deadlineMillis, agent, provider, temperature, maxOutputTokens, schema);
    }
  }

  private final String intentId;
  private final String text;
  /** The intent as the model sees it: the text, or a policy's rewrite of it. */
  private String asked;
  private final String traceId;
  private final String rootSpanId;
  /** The span of the model call in flight, chosen when it is sent: the provider's request carries it. */
  private String modelSpanId;
  private Limits limits; // the agent's: a handoff changes them
  private Team team = Team.NONE;
  /** A handoff asked for the new agent's plan. */
  private boolean replanning;
  private final List<ChatMessage> history;
  private final Resume resume;
  private final Recorder recorder;
  private final Predicate<String> sideEffecting;

  private final List<ChatMessage> messages = new ArrayList<>();
  private int transcriptStart;
  private int committed; // messages [transcriptStart, committed) are journaled
  private int sentUpTo; // messages the last model call sent
  private List<ToolSpec> tools = List.of();
  private int stepSeq;
  private long stageStart;
  private int modelCalls;
  private IntentUsage usage;
  private int answerAttempts;
  private boolean cancelling;
  private boolean done;

  // The tool turn in progress.
  private int turn;
  private int toolTurns;
  private boolean turnOpen;
  private List<ToolCall> calls = List.of();
  private Verdict[] verdicts;
  private ChatMessage[] resultMessages;
  private boolean[] unsettled;
  private boolean[] effectRunning;
  private long[] toolStart;
  private String[] toolSpans; // chosen when routed: a child agent's spans name them as parent
  private long checkStart;

  /**
   * @param history earlier messages of the session the model sees
   * @param resume null for a fresh run
   * @param sideEffecting whether a tool changes the world (its calls are journaled before they run)
   */
  public AgentLoop(String intentId, String text, String traceId, Limits limits, List<ChatMessage> history, Resume resume,
      Predicate<String> sideEffecting, Recorder recorder) {
    this(intentId, text, traceId, SessionEntity.rootSpanId(traceId), limits, history, resume, sideEffecting, recorder);
  }

  /** With the root span's id, which steps name as their parent (its own in a caller's trace). */
  public AgentLoop(String intentId, String text, String traceId, String rootSpanId, Limits limits,
      List<ChatMessage> history, Resume resume, Predicate<String> sideEffecting, Recorder recorder) {
    this.intentId = intentId;
    this.text = text;
    this.asked = text;
    this.traceId = traceId;
    this.rootSpanId = rootSpanId;
    this.limits = limits;
    this.history = history;
    this.resume = resume;
    this.sideEffecting = sideEffecting;
    this.recorder = recorder;
    this.usage = resume == null || resume.usage() == null ? IntentUsage.NONE : resume.usage();
  }

  public IntentUsage usage() {
    return usage;
  }

  /** The agents this run may call or hand over to; set before {@link #start()}. */
  public AgentLoop team(Team team) {
    this.team = team == null ? Team.NONE : team;
    return this;
  }

  /** The agent running now (another one after a handoff). */
  public String agent() {
    return limits.agent();
  }

  public boolean isDone() {
    return done;
  }

  /** Side-effecting calls are running: a cancel waits for them. */
  public boolean effectsRunning() {
    if (effectRunning == null) return false;
    for (boolean running : effectRunning) {
      if (running) return true;
    }
    return false;
  }

  /** The child intents of agent calls under way: a cancel, or an end before they answer, cancels them too. */
  public List<String> runningChildren() {
    if (!turnOpen || effectRunning == null) return List.of();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      if (effectRunning[i] && AgentTools.isAgentTool(calls.get(i).name())) {
        out.add(AgentTools.childIntent(intentId, idempotencyKey(calls.get(i))));
      }
    }
    return out;
  }

  /**
   * Counts what a fresh run's intent used before its loop began (the summary of older history, see
   * {@link HistoryWindow}): its token and cost limits and its usage include it. A resumed run has it
   * in {@link Resume#usage()} already.
   */
  public void countBefore(IntentUsage before) {
    if (resume == null && before != null) usage = usage.plus(before);
  }

  /** The first decision. */
  public Decision start() {
    stageStart = TraceClock.nowEpochNanos();
    return new CheckIntent(text, resume != null);
  }

  public Decision step(Event event) {
    if (done) return Wait.INSTANCE;
    if (event instanceof IntentChecked e) return onIntentChecked(e);
    if (event instanceof ModelReplied e) return onModelReplied(e);
    if (event instanceof ModelInputDenied e) return onModelInputDenied(e);
    if (event instanceof ToolsChecked e) return onToolsChecked(e);
    if (event instanceof ToolResulted e) return onToolResulted(e);
    if (event instanceof AnswerChecked e) return onAnswerChecked(e);
    if (event instanceof Cancelled) return onCancelled();
    if (event instanceof StreamRefused e) return onStreamRefused(e);
    if (event instanceof ApprovalDecided e) return onApprovalDecided(e);
    if (event instanceof Judged e) return onJudged(e);
    return cancelling ? finishCancelled()
        : fail("deadline", "The intent did not finish within its deadline of " + limits.deadlineMillis() + " ms.",
            "simplify_request");
  }

  // 1. The intent, and the plan.

  private Decision onIntentChecked(IntentChecked e) {
    if (cancelling) return finishCancelled();
    verdict("intent", null, e.verdict(), stageStart);
    if (!e.verdict().passes()) {
      return fail("guardrail_denied", "The guardrail denied the intent: " + e.verdict().reason(), "rephrase_request");
    }
    if (replanning) {
      // A handoff's new agent: its tools, its instructions; the conversation goes on.
      replanning = false;
      tools = withTeam(e.plan());
      return callModel();
    }
    if (e.verdict().isRewrite()) asked = e.verdict().rewritten(); // the model sees the policy's version
    tools = withTeam(e.plan());
    if (resume == null) {
      long started = TraceClock.nowEpochNanos();
      IntentClassifier.Classification classification = IntentClassifier.classify(text);
      ObjectNode detail = classification.toJson();
      record("intent.classified", detail, step("classify", classification.category(), "ok", started, detail));
      ObjectNode plan = Json.object().put("category", classification.category());
      tools.forEach(t -> plan.withArray("tools").add(t.name()));
      e.removedByPolicy().forEach(plan.withArray("removedByPolicy")::add);
      record("plan.created", plan, step("plan", "tool_selection", "ok", started, plan));
    }
    if (!limits.systemPrompt().isBlank()) messages.add(ChatMessage.system(limits.systemPrompt()));
    messages.addAll(history);
    transcriptStart = messages.size();
    messages.add(ChatMessage.user(asked));
    committed = messages.size(); // the intent's text is journaled with its acceptance
    return resume == null ? callModel() : resumeRun();
  }

  /** The plan, and the agent's other agents as tools (agent_x) and as handoffs (transfer_to_x). */
  private List<ToolSpec> withTeam(List<ToolSpec> plan) {
    AgentSpec self = team.find().apply(limits.agent());
    if (self == null || self.agents().isEmpty() && self.handoffs().isEmpty()) return plan;
    List<ToolSpec> out = new ArrayList<>(plan);
    for (String name : self.agents()) {
      AgentSpec a = team.find().apply(name);
      if (a != null) out.add(AgentTools.asTool(a));
    }
    for (String name : self.handoffs()) {
      AgentSpec a = team.find().apply(name);
      if (a != null) out.add(AgentTools.asHandoff(a));
    }
    return List.copyOf(out);
  }

  /** The agent a call hands over to, when it is a handoff of the running agent; else null. */
  private String handoffOf(ToolCall call) {
    String to = AgentTools.handoffTarget(call.name());
    if (to == null) return null;
    AgentSpec self = team.find().apply(limits.agent());
    return self != null && self.handoffs().contains(to) && team.limitsOf().apply(to) != null ? to : null;
  }

  /**
   * The handoff: each call of the turn gets a result (the handoff's says so; the others did not run),
   * the new agent's instructions replace the old, and its plan is asked for.
   */
  private Decision handOff(ChatMessage assistant, int at) {
    long started = TraceClock.nowEpochNanos();
    List<ToolCall> turnCalls = assistant.toolCalls();
    ToolCall call = turnCalls.get(at);
    String from = limits.agent();
    String to = AgentTools.handoffTarget(call.name());
    messages.add(assistant);
    for (int i = 0; i < turnCalls.size(); i++) {
      ToolCall c = turnCalls.get(i);
      String content = i == at ? Json.object().put("handoff", to).put("from", from).toString()
          : ToolResult.failed(c.id(), c.name(), "not run: the conversation was handed over to the agent '" + to + "'")
              .contentForModel();
      messages.add(ChatMessage.toolResult(c.id(), c.name(), content));
    }
    switchTo(to);
    ObjectNode detail = Json.object().put("from", from).put("to", to).put("callId", call.id());
    recorder.step(step("handoff", to, "ok", started, detail));
    replanning = true;
    stageStart = TraceClock.nowEpochNanos();
    return new HandOff(from, to, call.id(), checkpoint(new CheckIntent(text, true)));
  }

  /** Runs as agent {@code to} from here: its limits, and its instructions as the system message. */
  private void switchTo(String to) {
    Limits next = team.limitsOf().apply(to);
    if (next == null) return;
    limits = next;
    boolean hasSystem = !messages.isEmpty() && messages.get(0).role() == ChatMessage.Role.SYSTEM;
    if (hasSystem && !next.systemPrompt().isBlank()) {
      messages.set(0, ChatMessage.system(next.systemPrompt()));
    } else if (hasSystem || !next.systemPrompt().isBlank()) {
      if (hasSystem) messages.remove(0);
      else messages.add(0, ChatMessage.system(next.systemPrompt()));
      int shift = hasSystem ? -1 : 1;
      transcriptStart += shift;
      committed += shift;
    }
    sentUpTo = 0; // the new instructions are new input: the guardrail sees the whole call again
  }

  /** Replays the journaled conversation, then goes on where the run stopped. */
  private Decision resumeRun() {
    List<ChatMessage> done = resume.messages();
    int i = 0;
    while (i < done.size()) {
      ChatMessage m = done.get(i);
      if (m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty()) {
        int results = 0;
        while (i + 1 + results < done.size() && done.get(i + 1 + results).role() == ChatMessage.Role.TOOL) results++;
        if (results < m.toolCalls().size()) {
          // The turn the crash cut: reuse what it has, settle begun effects, run the rest.
          Map<String, ChatMessage> known = new java.util.HashMap<>(resume.effectResults());
          for (int k = 0; k < results; k++) known.put(done.get(i + 1 + k).toolCallId(), done.get(i + 1 + k));
          committed = messages.size();
          return beginToolTurn(m, known, resume.effectsStarted(), true);
        }
        toolTurns++;
        messages.add(m);
        for (int k = 0; k < results; k++) messages.add(done.get(i + 1 + k));
        i += 1 + results;
      } else {
        messages.add(m);
        i++;
      }
    }
    committed = messages.size();
    return callModel();
  }

  // 2. A model turn.

  private Decision callModel() {
    if (modelCalls >= limits.maxSteps()) {
      return fail("max_steps", "The run reached its limit of " + limits.maxSteps() + " model calls.", "simplify_request");
    }
    modelCalls++;
    return sendModelCall();
  }

  private Decision sendModelCall() {
    stageStart = TraceClock.nowEpochNanos();
    recorder.event("model.started", Json.object().put("call", modelCalls));
    modelSpanId = Ids.spanId();
    String traceparent = traceId == null || traceId.length() != 32 ? null : TraceParent.header(traceId, modelSpanId, true);
    ChatRequest.OutputFormat output = limits.outputSchema() == null ? null : new ChatRequest.OutputFormat(
        limits.agent(), limits.outputSchema().json(), limits.outputSchema().strictCompatible());
    ChatRequest request = new ChatRequest(limits.model().isBlank() ? null : limits.model(), messages, tools,
        limits.maxOutputTokens(), limits.stream(), traceparent, limits.provider(), limits.temperature(), output);
    int newFrom = sentUpTo;
    sentUpTo = messages.size();
    return new CallModel(modelCalls, request, newFrom, intentId + "/model-" + modelCalls);
  }

  private Decision onModelInputDenied(ModelInputDenied e) {
    if (cancelling) return finishCancelled();
    if (e.call() != modelCalls) return Wait.INSTANCE;
    for (Map.Entry<Integer, Verdict> d : e.denied().entrySet()) {
      Verdict v = d.getValue();
      int index = d.getKey();
      ChatMessage m = index >= 0 && index < messages.size() ? messages.get(index) : null;
      verdict(index < 0 ? "model_call" : m != null && m.role() == ChatMessage.Role.TOOL ? "tool_result" : "model_input",
          m == null || m.name() == null ? null : new ToolCall(m.toolCallId(), m.name(), null), v, stageStart);
      if (m != null && v.isRewrite()) {
        messages.set(index, new ChatMessage(m.role(), v.rewritten(), m.toolCalls(), m.toolCallId(), m.name()));
        continue;
      }
      if (index < 0) {
        return fail("guardrail_denied", "The guardrail refused the model call (" + v.policy() + "): " + v.reason(),
            "simplify_request");
      }
      if (v.kind() == Verdict.Kind.FATAL || m == null || m.role() != ChatMessage.Role.TOOL) {
        return fail("guardrail_denied", "The guardrail refused what would be sent to the model: " + v.reason(),
            "rephrase_request");
      }
      messages.set(index, ChatMessage.toolResult(m.toolCallId(), m.name(), ToolResult.failed(m.toolCallId(), m.name(),
          "the result was withheld by the guardrail (" + v.policy() + "): " + v.reason()).contentForModel()));
    }
    sentUpTo = Math.min(sentUpTo, e.denied().keySet().stream().mapToInt(Integer::intValue).min().orElse(sentUpTo));
    return sendModelCall();
  }

  private Decision onModelReplied(ModelReplied e) {
    if (e.call() != modelCalls) return Wait.INSTANCE;
    if (cancelling) return finishCancelled();
    LlmGateway.ChatResult result = e.result();
    if (!result.isOk()) {
      recordModel("error", Json.object().put("error", result.failure().message()), null);
      return fail(result.failure().code().name().toLowerCase(Locale.ROOT), result.failure().message(), "retry_later");
    }
    ChatResponse response = wellFormed(result.response());
    ObjectNode detail = Json.object()
        .put("call", e.call())
        .put("finishReason", response.finishReason().name().toLowerCase(Locale.ROOT))
        .put("provider", response.provider())
        .put("model", response.model())
        .put("inputTokens", response.usage().inputTokens())
        .put("outputTokens", response.usage().outputTokens());
    if (response.usage().costUsd() > 0) detail.put("costUsd", response.usage().costUsd());
    response.message().toolCalls().forEach(c -> detail.withArray("toolCalls").add(c.name()));
    usage = usage.plusModelCall(response.usage());
    recordModel("ok", detail, response);
    if (limits.maxTokens() > 0 && usage.totalTokens() > limits.maxTokens()) {
      return fail("max_tokens", "The run used " + usage.totalTokens() + " tokens, over its limit of "
          + limits.maxTokens() + ".", "simplify_request");
    }
    if (limits.maxCostUsd() > 0 && usage.costUsd() > limits.maxCostUsd()) {
      return fail("max_cost", String.format(Locale.ROOT, "The run cost %.6f USD, over its limit of %.6f USD.",
          usage.costUsd(), limits.maxCostUsd()), "simplify_request");
    }
    if (response.hasToolCalls()) {
      ChatMessage assistant = ChatMessage.assistantToolCalls(response.message().content(),
          ensureIds(response.message().toolCalls()));
      for (int i = 0; i < assistant.toolCalls().size(); i++) {
        if (handoffOf(assistant.toolCalls().get(i)) != null) return handOff(assistant, i);
      }
      return beginToolTurn(assistant, Map.of(), Set.of(), false);
    }
    if (limits.outputSchema() != null) return checkOutput(response.message().content());
    return checkAnswer(response.message().content());
  }

  // The structured answer of an agent with an output schema: parsed and validated before the guardrail.

  /** Answers sent back to the model for not matching the schema; one is allowed. */
  private int outputRetries;
  /** The validated answer the guardrail is checking. */
  private JsonNode pendingOutput;

  private Decision checkOutput(String answer) {
    long started = TraceClock.nowEpochNanos();
    JsonNode output = parseOutput(answer);
    List<String> problems = output == null ? List.of("the answer is not a JSON value")
        : limits.outputSchema().validate(output);
    ObjectNode detail = Json.object().put("valid", problems.isEmpty()).put("attempt", outputRetries + 1);
    problems.forEach(detail.withArray("errors")::add);
    recorder.step(step("verify", "output_schema", problems.isEmpty() ? "ok" : "error", started, detail));
    if (problems.isEmpty()) {
      String text = Json.write(output);
      Decision d = checkAnswer(text);
      pendingOutput = output;
      return d;
    }
    if (outputRetries >= 1) {
      return fail("invalid_output", "The answer did not match the agent's output schema after "
          + (outputRetries + 1) + " attempts: " + String.join("; ", problems), "rephrase_request");
    }
    outputRetries++;
    messages.add(ChatMessage.assistant(answer));
    messages.add(ChatMessage.user("[output] Your answer does not match the required JSON Schema: "
        + String.join("; ", problems) + ". Answer again with only a JSON value that matches the schema."));
    return callModel();
  }

  /** The answer as JSON: the text, or the text in a Markdown code fence; null when it is not JSON. */
  static JsonNode parseOutput(String answer) {
    if (answer == null) return null;
    String text = answer.strip();
    if (text.startsWith("```")) {
      int firstLine = text.indexOf('\n');
      int end = text.lastIndexOf("```");
      if (firstLine > 0 && end > firstLine) text = text.substring(firstLine + 1, end).strip();
    }
    if (text.isEmpty()) return null;
    try {
      return Json.parse(text);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void recordModel(String status, ObjectNode detail, ChatResponse response) {
    record("model.completed", detail, step("model", "chat", status, stageStart, detail, modelSpanId));
  }

  // 3. A tool turn: every call routed at once; results appended in call order.

  private Decision beginToolTurn(ChatMessage assistant, Map<String, ChatMessage> known, Set<String> begun,
      boolean resumed) {
    turn++;
    toolTurns++;
    calls = assistant.toolCalls();
    messages.add(assistant);
    if (resumed) committed = messages.size(); // journaled before the crash
    turnOpen = true;
    int n = calls.size();
    verdicts = new Verdict[n];
    resultMessages = new ChatMessage[n];
    unsettled = new boolean[n];
    effectRunning = new boolean[n];
    toolStart = new long[n];
    toolSpans = new String[n];
    checkStart = TraceClock.nowEpochNanos();
    List<Integer> toRun = new ArrayList<>(n);
    List<Integer> toReconcile = new ArrayList<>();
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      ToolCall c = calls.get(i);
      if (known.containsKey(c.id())) {
        verdicts[i] = Verdict.allow();
        resultMessages[i] = known.get(c.id());
        continue;
      }
      toolSpans[i] = Ids.spanId();
      String refused = agentCallRefused(c);
      if (refused != null) {
        verdicts[i] = Verdict.deny("agents", refused);
        resultMessages[i] = ChatMessage.toolResult(c.id(), c.name(), ToolResult.failed(c.id(), c.name(), refused)
            .contentForModel());
        ObjectNode detail = Json.object().put("callId", c.id()).put("name", c.name()).put("ok", false)
            .put("error", refused);
        recorder.step(step("tool", c.name(), "error", checkStart, detail, toolSpans[i]));
        continue;
      }
      toRun.add(i);
      toolStart[i] = checkStart;
      if (isEffect(c.name())) {
        keys.put(c.id(), idempotencyKey(c));
        effectRunning[i] = true;
        if (begun.contains(c.id())) {
          unsettled[i] = true;
          toReconcile.add(i);
        }
      }
    }
    if (toRun.isEmpty()) return finishToolTurn();
    RunTools run = new RunTools(turn, calls, List.copyOf(toRun), List.copyOf(toReconcile), keys, Map.of(),
        children(toRun));
    // The model's calls are journaled before any side effect can start, so that a resume knows them.
    return !keys.isEmpty() && committed < messages.size() ? checkpoint(run) : run;
  }

  /**
   * Why an agent can't be called as a tool here, or null: an agent this one does not list is left to
   * the guardrail (which denies it); too deep, or no model calls left, is refused here.
   */
  private String agentCallRefused(ToolCall c) {
    String callee = AgentTools.agentOf(c.name());
    if (callee == null || team.find().apply(callee) == null) return null;
    if (team.depth() + 1 > team.maxDepth()) {
      return "not run: agents may call agents " + team.maxDepth() + " level(s) deep (troupe.agent.max-agent-depth), "
          + "and this call would be level " + (team.depth() + 1);
    }
    if (limits.maxSteps() - modelCalls < 1) {
      return "not run: the run has no model calls left for the agent '" + callee + "' (max-steps " + limits.maxSteps()
          + ")";
    }
    return null;
  }

  /** Agent tools are effects: journaled before they run, so a resumed run never starts a child twice. */
  private boolean isEffect(String tool) {
    return AgentTools.isAgentTool(tool) || sideEffecting.test(tool);
  }

  /** How each agent call among {@code indices} runs: its child, in the trace of its span, within the budget. */
  private Map<String, ChildRun> children(List<Integer> indices) {
    Map<String, ChildRun> out = null;
    for (int i : indices) {
      ToolCall c = calls.get(i);
      String callee = AgentTools.agentOf(c.name());
      AgentSpec spec = callee == null ? null : team.find().apply(callee);
      if (spec == null) continue;
      int left = Math.max(1, limits.maxSteps() - modelCalls);
      String traceparent = traceId == null || traceId.length() != 32 ? null
          : TraceParent.header(traceId, toolSpans[i], true);
      if (out == null) out = new java.util.LinkedHashMap<>();
      out.put(c.id(), new ChildRun(callee, traceparent, team.depth() + 1, Math.min(spec.maxSteps(), left)));
    }
    return out == null ? Map.of() : out;
  }

  /** The idempotency key of a call: the same when a resumed run settles it. */
  String idempotencyKey(ToolCall c) {
    return intentId + "/" + toolTurns + "/" + c.id();
  }

  private Decision onToolsChecked(ToolsChecked e) {
    if (e.turn() != turn || !turnOpen) return Wait.INSTANCE;
    List<Integer> toApprove = null;
    for (int k = 0; k < e.indices().size(); k++) {
      int i = e.indices().get(k);
      Verdict v = e.verdicts().get(k);
      if (v.kind() == Verdict.Kind.REQUIRE_APPROVAL) {
        if (v.rewritten() != null) rewriteCall(i, v); // the person sees, and approves, the redacted call
        verdict("tool_call", calls.get(i), v, checkStart);
        effectRunning[i] = false; // nothing runs until a person decides
        if (toApprove == null) toApprove = new ArrayList<>();
        toApprove.add(i);
        continue;
      }
      verdicts[i] = v;
      verdict("tool_call", calls.get(i), v, checkStart);
      if (resultMessages[i] == null) toolStart[i] = TraceClock.nowEpochNanos(); // forwarded on its allow
      if (v.kind() == Verdict.Kind.FATAL) {
        return fail("guardrail_denied", "The guardrail stopped the run at tool '" + calls.get(i).name() + "': "
            + v.reason(), "rephrase_request");
      }
      if (v.isRewrite()) {
        rewriteCall(i, v);
      } else if (!v.isAllow()) {
        ToolCall c = calls.get(i);
        effectRunning[i] = false;
        resultMessages[i] = ChatMessage.toolResult(c.id(), c.name(), ToolResult.failed(c.id(), c.name(),
            refusal(v)).contentForModel());
      }
      if (v.passes() && !unsettled[i]) {
        ToolCall c = calls.get(i);
        recorder.event("tool.started", Json.object().put("callId", c.id()).put("name", c.name())
            .set("arguments", c.arguments()));
      }
    }
    if (toApprove != null && !cancelling) {
      List<Verdict> why = new ArrayList<>(toApprove.size());
      for (int i : toApprove) why.add(e.verdicts().get(e.indices().indexOf(i)));
      // The model's calls are journaled first: the approval names one of them, and a resume finds it.
      return checkpoint(new AwaitApproval(turn, List.copyOf(toApprove), calls, List.copyOf(why), e.policyVersion()));
    }
    if (toApprove != null) {
      for (int i : toApprove) refuseAwaiting(i, "cancelled: the intent was cancelled while the call awaited approval");
    }
    return turnComplete() ? finishToolTurn() : cancelling && !effectsRunning() ? finishCancelled() : Wait.INSTANCE;
  }

  private Decision onApprovalDecided(ApprovalDecided e) {
    if (e.turn() != turn || !turnOpen || e.index() < 0 || e.index() >= calls.size()
        || resultMessages[e.index()] != null) {
      return Wait.INSTANCE;
    }
    int i = e.index();
    ToolCall c = calls.get(i);
    recordApprovalWait(c, e);
    if (!e.approved()) {
      String by = e.timedOut() ? "rejected" : "rejected by a person";
      refuseAwaiting(i, by + (e.comment() == null || e.comment().isBlank() ? "" : ": " + e.comment()));
      return turnComplete() ? finishToolTurn() : Wait.INSTANCE;
    }
    // Approved: the call runs exactly as journaled, and is not gated again under the same policy version.
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    if (isEffect(c.name())) {
      keys.put(c.id(), idempotencyKey(c));
      effectRunning[i] = true;
    }
    toolStart[i] = TraceClock.nowEpochNanos();
    List<Integer> reconcile = unsettled[i] ? List.of(i) : List.of();
    return new RunTools(turn, calls, List.of(i), reconcile, keys, Map.of(i, e.policyVersion()),
        children(List.of(i)));
  }

  /** The wait for a person, as one span from the request to the decision (it may span a restart). */
  private void recordApprovalWait(ToolCall c, ApprovalDecided e) {
    if (e.requestedNanos() <= 0) return;
    long decided = e.decidedNanos() > 0 ? e.decidedNanos() : TraceClock.nowEpochNanos();
    ObjectNode detail = Json.object().put("callId", c.id()).put("tool", c.name())
        .put("decision", e.approved() ? "approve" : "reject").put("waitedMs", (decided - e.requestedNanos()) / 1_000_000);
    if (e.approvalId() != null) detail.put("approvalId", e.approvalId());
    if (e.timedOut()) detail.put("timedOut", true);
    if (e.comment() != null && !e.comment().isBlank()) detail.put("comment", e.comment());
    stepSeq++;
    recorder.step(new Step(stepSeq, "approval", c.name(), e.approved() ? "ok" : "rejected", e.requestedNanos(), decided,
        detail, Ids.spanId(), rootSpanId));
  }

  /** A call that will not run: its result, paired with it, says why, so the history stays valid. */
  private void refuseAwaiting(int i, String why) {
    ToolCall c = calls.get(i);
    verdicts[i] = Verdict.deny("approval", why);
    effectRunning[i] = false;
    resultMessages[i] = ChatMessage.toolResult(c.id(), c.name(), ToolResult.failed(c.id(), c.name(), why).contentForModel());
  }

  private Decision onToolResulted(ToolResulted e) {
    if (e.turn() != turn || !turnOpen || resultMessages[e.index()] != null) return Wait.INSTANCE;
    int i = e.index();
    ToolCall call = calls.get(i);
    ToolResult result = wellFormed(e.result());
    if (verdicts[i] == null) verdicts[i] = Verdict.allow(); // the reply overtook its verdict
    resultMessages[i] = ChatMessage.toolResult(call.id(), call.name(), result.contentForModel());
    effectRunning[i] = false;
    usage = usage.plusToolCall();
    ObjectNode detail = Json.object().put("callId", call.id()).put("name", call.name()).put("ok", !result.isError());
    detail.set("arguments", call.arguments());
    if (unsettled[i]) detail.put("reconciled", true);
    if (result.isError()) detail.put("error", result.error());
    else detail.set("output", result.output());
    String callee = AgentTools.agentOf(call.name());
    if (callee != null && team.find().apply(callee) != null) {
      // A child intent ran: the trace reads its spans under this one; its spending is this run's too.
      detail.put("agent", callee).put("childIntentId", AgentTools.childIntent(intentId, idempotencyKey(call)));
      if (result.usage() != null) {
        usage = usage.plus(result.usage());
        modelCalls += result.usage().modelCalls();
        detail.put("childModelCalls", result.usage().modelCalls());
      }
    }
    String span = toolSpans == null || toolSpans[i] == null ? null : toolSpans[i];
    record("tool.completed", detail, step("tool", call.name(), result.isError() ? "error" : "ok", toolStart[i], detail,
        span));
    if (cancelling) return effectsRunning() ? Wait.INSTANCE : finishCancelled();
    return turnComplete() ? finishToolTurn() : Wait.INSTANCE;
  }

  private boolean turnComplete() {
    for (int i = 0; i < calls.size(); i++) {
      if (resultMessages[i] == null || verdicts[i] == null) return false;
    }
    return true;
  }

  /** The result message of call {@code index} of the open turn, once it has one. */
  public ChatMessage resultOf(int index) {
    return resultMessages == null || index >= resultMessages.length ? null : resultMessages[index];
  }

  /** What the model reads for a call that did not run. */
  private static String refusal(Verdict v) {
    return switch (v.kind()) {
      case REPROMPT -> "the guardrail asks for a different call (" + v.policy() + "): " + v.reason();
      case REQUIRE_APPROVAL -> "the call needs a person's approval (" + v.policy() + "), and approvals are not "
          + "available here: " + v.reason();
      default -> "denied by the guardrail (" + v.policy() + "): " + v.reason();
    };
  }

  /**
   * Puts a policy's arguments in place of the model's, in the call and in the conversation, so that
   * neither a resume nor the next model call sees the original (a redacted secret, say).
   */
  private void rewriteCall(int i, Verdict v) {
    ToolCall c = calls.get(i);
    ToolCall rewritten = new ToolCall(c.id(), c.name(), Json.parse(v.rewritten()));
    List<ToolCall> replaced = new ArrayList<>(calls);
    replaced.set(i, rewritten);
    calls = List.copyOf(replaced);
    for (int k = messages.size() - 1; k >= 0; k--) {
      ChatMessage m = messages.get(k);
      if (m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty() && m.toolCalls().get(0).id().equals(calls.get(0).id())) {
        messages.set(k, ChatMessage.assistantToolCalls(m.content(), calls));
        break;
      }
    }
  }

  private Decision finishToolTurn() {
    long started = TraceClock.nowEpochNanos();
    int errors = 0;
    int denied = 0;
    for (int i = 0; i < calls.size(); i++) {
      if (!verdicts[i].isAllow()) denied++;
      else if (resultMessages[i].content().startsWith("{\"error\":")) errors++;
      messages.add(resultMessages[i]);
    }
    turnOpen = false;
    effectRunning = null;
    ObjectNode detail = Json.object().put("calls", calls.size()).put("errors", errors).put("denied", denied);
    recorder.step(step("verify", "tool_results", errors + denied == 0 ? "ok" : "error", started, detail));
    turn++; // late replies of this turn are dropped from here on
    // Not journaled here: a resume re-runs a finished turn's read-only calls, and its side effects'
    // results are journaled one by one (EffectFinished). The next checkpoint or the end carries it.
    return callModel();
  }

  private Decision checkpoint(Decision then) {
    if (committed >= messages.size() || then instanceof Finish) return then;
    List<ChatMessage> fresh = List.copyOf(messages.subList(committed, messages.size()));
    committed = messages.size();
    return new Checkpoint(fresh, then);
  }

  // 4. The answer.

  private Decision checkAnswer(String answer) {
    answerAttempts++;
    stageStart = TraceClock.nowEpochNanos();
    pendingAnswer = answer;
    return new CheckAnswer(answerAttempts, answer);
  }

  private String pendingAnswer;

  private Decision onAnswerChecked(AnswerChecked e) {
    if (e.attempt() != answerAttempts || pendingAnswer == null) return Wait.INSTANCE;
    if (cancelling) return finishCancelled();
    String answer = pendingAnswer;
    pendingAnswer = null;
    JsonNode output = pendingOutput;
    pendingOutput = null;
    Verdict v = e.verdict();
    verdict("answer", null, v, stageStart);
    if (v.isRewrite()) answer = v.rewritten(); // e.g. a secret redacted: the client gets the policy's version
    if (v.passes() && output != null && v.isRewrite()) {
      // The policy's version is what the client gets: it must still be the schema's JSON.
      output = parseOutput(answer);
      List<String> problems = output == null ? List.of("the answer is not JSON") : limits.outputSchema().validate(output);
      if (!problems.isEmpty()) {
        return fail("invalid_output", "The guardrail's rewrite of the answer (" + v.policy()
            + ") no longer matches the agent's output schema: " + String.join("; ", problems), "rephrase_request");
      }
    }
    if (v.passes()) {
      long started = TraceClock.nowEpochNanos();
      recorder.step(step("verify", "answer", "ok", started, Json.object().put("chars", answer.length())));
      messages.add(ChatMessage.assistant(answer));
      recorder.step(step("answer", "final", "ok", TraceClock.nowEpochNanos(), Json.object().put("text", answer)));
      done = true;
      return new Finish(IntentStatus.SUCCEEDED, output == null ? Outcome.answered(answer)
          : Outcome.answered(answer, output), List.copyOf(messages.subList(transcriptStart, messages.size())));
    }
    if (v.kind() == Verdict.Kind.FATAL || answerAttempts >= limits.maxAnswerAttempts()) {
      return fail("guardrail_denied", "The guardrail denied the answer " + answerAttempts + " time(s); last reason: "
          + v.reason(), "rephrase_request");
    }
    messages.add(ChatMessage.assistant(answer));
    messages.add(ChatMessage.user("[guardrail] Your previous answer was rejected: " + v.reason()
        + ". Write a different answer."));
    return callModel();
  }

  private Decision onStreamRefused(StreamRefused e) {
    if (e.call() != modelCalls) return Wait.INSTANCE;
    if (cancelling) return finishCancelled();
    answerAttempts++;
    Verdict v = e.verdict();
    verdict("answer_stream", null, v, stageStart);
    if (v.kind() == Verdict.Kind.FATAL || answerAttempts >= limits.maxAnswerAttempts()) {
      return fail("guardrail_denied", "The guardrail stopped the streamed answer " + answerAttempts
          + " time(s); last reason: " + v.reason(), "rephrase_request");
    }
    messages.add(ChatMessage.user("[guardrail] Your previous answer was stopped while it streamed: " + v.reason()
        + ". Write a different answer."));
    return callModel();
  }

  /** What the output guard did to this run's stream: one step, for the trace. */
  public void streamGuarded(double firstReleaseDelayMillis, int maxHeldChars) {
    ObjectNode detail = Json.object().put("firstReleaseDelayMs", firstReleaseDelayMillis).put("maxHeldChars", maxHeldChars);
    recorder.step(step("guardrail", "answer_stream", "ok", TraceClock.nowEpochNanos(), detail));
  }

  // The model judge

  private Decision onJudged(Judged e) {
    ObjectNode detail = Json.object().put("target", "intent").put("verdict", e.verdict().kind().name().toLowerCase(Locale.ROOT))
        .put("policy", "model-judge").put("millis", e.millis());
    if (e.verdict().reason() != null) detail.put("reason", e.verdict().reason());
    if (e.failure() != null) detail.put("failure", e.failure());
    long started = TraceClock.nowEpochNanos() - (long) (e.millis() * 1e6);
    record("guardrail.verdict", detail, step("guardrail", "intent model-judge",
        e.verdict().kind().name().toLowerCase(Locale.ROOT), started, detail));
    if (e.verdict().passes()) return Wait.INSTANCE;
    if (cancelling) return Wait.INSTANCE;
    return fail("guardrail_denied", "The guardrail's model judge refused the intent: " + e.verdict().reason(),
        "rephrase_request");
  }

  // Cancellation

  private Decision onCancelled() {
    if (cancelling) return Wait.INSTANCE;
    cancelling = true;
    return effectsRunning() ? Wait.INSTANCE : finishCancelled();
  }

  /**
   * Ends the run cancelled. Its conversation joins the history valid: every tool call has a result
   * (an explicit "cancelled" one where none came), and an assistant turn closes it.
   */
  private Decision finishCancelled() {
    List<ChatMessage> transcript = new ArrayList<>();
    if (messages.isEmpty()) transcript.add(ChatMessage.user(asked));
    else transcript.addAll(messages.subList(transcriptStart, messages.size()));
    if (turnOpen) {
      for (int i = 0; i < calls.size(); i++) {
        ToolCall c = calls.get(i);
        transcript.add(resultMessages[i] != null ? resultMessages[i] : ChatMessage.toolResult(c.id(), c.name(),
            ToolResult.failed(c.id(), c.name(), "cancelled: the intent was cancelled before this call finished")
                .contentForModel()));
      }
    }
    transcript.add(ChatMessage.assistant("[cancelled] The request was cancelled before I finished it."));
    done = true;
    return new Finish(IntentStatus.CANCELLED, Outcome.failed("cancelled", "The intent was cancelled by request.", "none"),
        List.copyOf(transcript));
  }

  public boolean isCancelling() {
    return cancelling;
  }

  private Decision fail(String code, String message, String nextAction) {
    done = true;
    return new Finish(IntentStatus.FAILED, Outcome.failed(code, message, nextAction), List.of());
  }

  // Recording

  private void verdict(String target, ToolCall call, Verdict v, long startedNanos) {
    String kind = v.kind().name().toLowerCase(Locale.ROOT);
    ObjectNode detail = Json.object().put("target", target).put("verdict", kind);
    if (call != null) detail.put("tool", call.name()).put("callId", call.id());
    if (v.policy() != null) detail.put("policy", v.policy());
    if (v.reason() != null) detail.put("reason", v.reason());
    record("guardrail.verdict", detail, step("guardrail", call == null ? target : target + " " + call.name(), kind,
        startedNanos, detail));
  }

  private void record(String eventType, JsonNode data, Step step) {
    recorder.step(step);
    recorder.event(eventType, data);
  }

  private Step step(String kind, String name, String status, long startedNanos, JsonNode detail) {
    return step(kind, name, status, startedNanos, detail, Ids.spanId());
  }

  private Step step(String kind, String name, String status, long startedNanos, JsonNode detail, String spanId) {
    stepSeq++;
    return new Step(stepSeq, kind, name, status, startedNanos, TraceClock.nowEpochNanos(), detail,
        spanId == null ? Ids.spanId() : spanId, rootSpanId);
  }

  private static List<ToolCall> ensureIds(List<ToolCall> calls) {
    List<ToolCall> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      out.add(c.id() == null || c.id().isBlank() ? new ToolCall("call_" + (i + 1), c.name(), c.arguments()) : c);
    }
    return out;
  }

  // What a model or a tool sends is journaled: its text must be encodable (WellFormed).

  private static ChatResponse wellFormed(ChatResponse response) {
    ChatMessage m = response.message();
    String content = WellFormed.text(m.content());
    boolean changed = content != m.content();
    List<ToolCall> clean = new ArrayList<>(m.toolCalls().size());
    for (ToolCall c : m.toolCalls()) {
      ToolCall w = new ToolCall(WellFormed.text(c.id()), WellFormed.text(c.name()), WellFormed.json(c.arguments()));
      changed |= w.id() != c.id() || w.name() != c.name() || w.arguments() != c.arguments();
      clean.add(w);
    }
    if (!changed) return response;
    return new ChatResponse(new ChatMessage(m.role(), content, clean, m.toolCallId(), m.name()), response.usage(),
        response.finishReason(), response.model(), response.provider());
  }

  private static ToolResult wellFormed(ToolResult result) {
    JsonNode output = WellFormed.json(result.output());
    String error = WellFormed.text(result.error());
    return output == result.output() && error == result.error() ? result
        : new ToolResult(result.corr(), result.callId(), result.name(), output, error, result.usage());
  }
}
