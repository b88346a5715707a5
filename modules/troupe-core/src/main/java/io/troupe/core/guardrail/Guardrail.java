package io.troupe.core.guardrail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.agent.AgentCall;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.AgentTools;
import io.troupe.core.agent.ChildRun;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.policy.ToolAllowList;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.Errors;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.PublishedCatalog;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The router in front of the subsystems. Every action (a model call, a tool turn, a document write)
 * is sent here; the guardrail checks it and forwards what it allows to its subsystem with the
 * caller's reply address, so the subsystem answers the caller directly. A denial it answers itself.
 * It also checks the intent (answering with the plan: the tools the model may be offered) and the
 * final answer. It keeps no state per run; the policies are pure functions run inline.
 *
 * <p>Nothing else in a node holds a subsystem reference for execution: sessions hold only this.
 */
public final class Guardrail extends AbstractBehavior<Guardrail.Command> {

  public interface Command extends CborSerializable {}

  /** The subsystems the guardrail routes to. */
  public record Targets(
      ActorRef<LlmGateway.Command> llm, ActorRef<ToolRegistry.Command> tools, ActorRef<VectorStore.Command> vectorStore) {}

  // Requests

  /**
   * Check an intent's text; the answer carries the plan (less the tools its {@code agent} may not use;
   * null: {@code default}). Sent again when a run resumes ({@code resumed}: the model judge, which saw
   * it the first time, is not asked again). With the model judge on, a {@link Judged} follows, in
   * parallel with the run.
   */
  public record CheckIntent(long corr, String intentId, String text, ActorRef<Answer> replyTo, String agent,
      boolean resumed) implements Command {
    public CheckIntent(long corr, String intentId, String text, ActorRef<Answer> replyTo) {
      this(corr, intentId, text, replyTo, null, false);
    }

    public CheckIntent(long corr, String intentId, String text, ActorRef<Answer> replyTo, String agent) {
      this(corr, intentId, text, replyTo, agent, false);
    }
  }

  /**
   * Check a model call's input from {@code newFrom} on (what the last call did not send: tool results
   * among it), then forward it to the gateway. A denied message is answered with {@link ModelInputDenied}.
   */
  public record RouteModelCall(long corr, String intentId, ChatRequest request, int newFrom, String callKey,
      ActorRef<LlmGateway.ChatResult> replyTo, ActorRef<ChatDelta> deltaTo, ActorRef<Answer> deniedTo,
      IntentSpend spent, String agent) implements Command {
    public RouteModelCall(long corr, String intentId, ChatRequest request, int newFrom, String callKey,
        ActorRef<LlmGateway.ChatResult> replyTo, ActorRef<ChatDelta> deltaTo, ActorRef<Answer> deniedTo,
        IntentSpend spent) {
      this(corr, intentId, request, newFrom, callKey, replyTo, deltaTo, deniedTo, spent, null);
    }

    public RouteModelCall(long corr, String intentId, ChatRequest request, int newFrom, String callKey,
        ActorRef<LlmGateway.ChatResult> replyTo, ActorRef<ChatDelta> deltaTo, ActorRef<Answer> deniedTo) {
      this(corr, intentId, request, newFrom, callKey, replyTo, deltaTo, deniedTo, null);
    }
  }

  /** What the intent spent before a model call; the budget policy adds the call's estimate. */
  public record IntentSpend(long tokens, double costUsd) implements CborSerializable {}

  /** Abort a model call routed before (not execution: it frees the provider's request). */
  public record CancelModelCall(String callKey) implements Command {}

  /**
   * Check the calls at {@code indices} of one tool turn and forward the allowed ones to the registry,
   * all at once; each call's reply carries {@code corr + index}. The verdicts, one per routed index,
   * go to {@code verdictsTo} first. {@code reconcile} lists the indices whose earlier run a crash hid.
   * {@code children}: by call id, how a call of an agent as a tool runs (its child intent).
   */
  public record RouteToolCalls(long corr, String intentId, String sessionId, List<ToolCall> calls, List<Integer> indices,
      List<Integer> reconcile, Map<String, String> idempotencyKeys, ActorRef<ToolResult> replyTo,
      ActorRef<Answer> verdictsTo, Map<Integer, String> approved, String agent, Map<String, ChildRun> children)
      implements Command {
    public RouteToolCalls(long corr, String intentId, String sessionId, List<ToolCall> calls, List<Integer> indices,
        List<Integer> reconcile, Map<String, String> idempotencyKeys, ActorRef<ToolResult> replyTo,
        ActorRef<Answer> verdictsTo, Map<Integer, String> approved, String agent) {
      this(corr, intentId, sessionId, calls, indices, reconcile, idempotencyKeys, replyTo, verdictsTo, approved, agent,
          Map.of());
    }

    public RouteToolCalls(long corr, String intentId, String sessionId, List<ToolCall> calls, List<Integer> indices,
        List<Integer> reconcile, Map<String, String> idempotencyKeys, ActorRef<ToolResult> replyTo,
        ActorRef<Answer> verdictsTo, Map<Integer, String> approved) {
      this(corr, intentId, sessionId, calls, indices, reconcile, idempotencyKeys, replyTo, verdictsTo, approved, null,
          Map.of());
    }

    public RouteToolCalls(long corr, String intentId, String sessionId, List<ToolCall> calls, List<Integer> indices,
        List<Integer> reconcile, Map<String, String> idempotencyKeys, ActorRef<ToolResult> replyTo,
        ActorRef<Answer> verdictsTo) {
      this(corr, intentId, sessionId, calls, indices, reconcile, idempotencyKeys, replyTo, verdictsTo, Map.of(), null,
          Map.of());
    }
  }

  /** Check an answer (or streamed text) of a run of {@code agent} (null: {@code default}). */
  public record CheckAnswer(long corr, String intentId, String answer, ActorRef<Answer> replyTo, String agent)
      implements Command {
    public CheckAnswer(long corr, String intentId, String answer, ActorRef<Answer> replyTo) {
      this(corr, intentId, answer, replyTo, null);
    }
  }

  /** Cancel these child intents (of agents called as tools): their parent was cancelled or ended first. */
  public record CancelChildren(List<String> intentIds) implements Command {}

  /** Check documents and forward them to the vector store; a denied one stops the whole write. */
  public record RouteDocuments(List<VectorStore.Document> documents, ActorRef<StatusReply<VectorStore.Upserted>> replyTo)
      implements Command {}

  /** Check documents without writing them: {@code Done}, or a {@code guardrail_denied} error. */
  public record CheckDocuments(List<VectorStore.Document> documents, ActorRef<StatusReply<org.apache.pekko.Done>> replyTo)
      implements Command {}

  // Answers

  public sealed interface Answer extends CborSerializable {
    long corr();
  }

  public record IntentChecked(long corr, Verdict verdict, List<ToolSpec> plan, List<String> removedByPolicy)
      implements Answer {}

  /** The model call was not forwarded: the messages at these indices were refused. */
  public record ModelInputDenied(long corr, Map<Integer, Verdict> denied) implements Answer {}

  /** {@code policyVersion}: the version of the policies that gave the verdicts (an approval binds to it). */
  public record ToolsChecked(long corr, List<Integer> indices, List<Verdict> verdicts, String policyVersion)
      implements Answer {}

  public record AnswerChecked(long corr, Verdict verdict) implements Answer {}

  /**
   * The model judge's verdict on the intent of {@link CheckIntent} {@code corr}, after {@code millis};
   * a deny trips the run. {@code failure} names what went wrong when the judge gave no verdict of its
   * own (then {@code fail-open} made it), else null.
   */
  public record Judged(long corr, Verdict verdict, double millis, String failure) implements Answer {}

  public static Behavior<Command> create(GuardrailSettings settings, Targets targets) {
    return create(settings, targets, null);
  }

  /** With the way agent calls reach sessions (null: Cluster Sharding, the node's). */
  public static Behavior<Command> create(GuardrailSettings settings, Targets targets,
      Function<String, RecipientRef<SessionEntity.Command>> sessions) {
    return Behaviors.setup(ctx -> new Guardrail(ctx, settings, targets, sessions));
  }

  private final GuardrailSettings settings;
  /** This actor's own instances: built-in policies reuse matchers, one text at a time. */
  private final GuardrailPolicy[] policies;
  /** The node's policies, then an agent's own, by agent name (built once per agent). */
  private final Map<String, GuardrailPolicy[]> chains = new HashMap<>();
  /** The chain of the message being handled: every check of it runs this one. */
  private GuardrailPolicy[] chain;
  private final Targets targets;
  private final ToolCatalogs catalogs;
  private final Agents agents;
  private long planVersion = -1;
  private List<ToolSpec> plan = List.of();
  private List<String> removed = List.of();
  /** Whether a policy may judge a model call as a whole: the budget, or a policy of the user's. */
  private final boolean spendMatters;

  private Guardrail(ActorContext<Command> ctx, GuardrailSettings settings, Targets targets,
      Function<String, RecipientRef<SessionEntity.Command>> sessions) {
    super(ctx);
    this.sessions = sessions;
    var config = ctx.getSystem().settings().config();
    this.childRecheck = config.hasPath("troupe.agent.child-recheck-interval")
        ? config.getDuration("troupe.agent.child-recheck-interval") : java.time.Duration.ofSeconds(30);
    this.settings = settings;
    this.policies = settings.policies().toArray(GuardrailPolicy[]::new);
    this.chain = policies;
    this.targets = targets;
    this.catalogs = ToolCatalogs.get(ctx.getSystem());
    this.spendMatters = settings.budgetTokens() > 0 || settings.budgetCostUsd() > 0 || !settings.custom().isEmpty();
    this.agents = Agents.get(ctx.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(CheckIntent.class, this::onCheckIntent)
        .onMessage(RouteModelCall.class, this::onRouteModelCall)
        .onMessage(CancelModelCall.class, m -> {
          targets.llm().tell(new LlmGateway.CancelChat(m.callKey()));
          return this;
        })
        .onMessage(RouteToolCalls.class, this::onRouteToolCalls)
        .onMessage(CheckAnswer.class, m -> {
          chain = chainOf(m.agent());
          m.replyTo().tell(new AnswerChecked(m.corr(), checkAnswer(m.answer())));
          return this;
        })
        .onMessage(CancelChildren.class, m -> {
          for (String id : m.intentIds()) {
            sessions().apply(id.substring(0, id.lastIndexOf('.')))
                .tell(new SessionEntity.Cancel(id, getContext().getSystem().ignoreRef()));
          }
          return this;
        })
        .onMessage(RouteDocuments.class, this::onRouteDocuments)
        .onMessage(CheckDocuments.class, m -> {
          chain = policies;
          String denied = checkDocuments(m.documents(), new ArrayList<>());
          m.replyTo().tell(denied == null ? StatusReply.success(org.apache.pekko.Done.getInstance())
              : StatusReply.error(denied));
          return this;
        })
        .build();
  }

  private Behavior<Command> onCheckIntent(CheckIntent m) {
    chain = chainOf(m.agent());
    Verdict verdict = checkIntent(m.text());
    refreshPlan();
    AgentSpec agent = agentOf(m.agent());
    if (agent == null || agent.tools() == null) {
      m.replyTo().tell(new IntentChecked(m.corr(), verdict, plan, removed));
    } else {
      // The agent's own allow-list: the model is offered only its tools.
      List<ToolSpec> offered = new ArrayList<>();
      List<String> out = new ArrayList<>(removed);
      for (ToolSpec tool : plan) {
        if (agent.mayUse(tool.name())) offered.add(tool);
        else out.add(tool.name());
      }
      m.replyTo().tell(new IntentChecked(m.corr(), verdict, List.copyOf(offered), List.copyOf(out)));
    }
    if (settings.judge().enabled() && verdict.passes() && !m.resumed()) {
      // In parallel with the run: its verdict goes to the run's host when it comes.
      getContext().spawnAnonymous(ModelJudge.create(settings.judge(), targets.llm(), m.corr(), m.intentId(),
          verdict.isRewrite() ? verdict.rewritten() : m.text(), m.replyTo()));
    }
    return this;
  }

  /** The node's policies, then those of the agent (null: {@code default}) if it has any. */
  private GuardrailPolicy[] chainOf(String agentName) {
    AgentSpec agent = agentOf(agentName == null ? AgentSpec.DEFAULT : agentName);
    if (agent == null || agent.policies().isEmpty()) return policies;
    return chains.computeIfAbsent(agent.name(), name -> {
      List<GuardrailPolicy> all = new ArrayList<>(List.of(policies));
      all.addAll(agent.policies());
      return all.toArray(GuardrailPolicy[]::new);
    });
  }

  /** The agent named (null: {@code default}), or null when there is none by that name. */
  private AgentSpec agentOf(String name) {
    return agents.find(name).orElse(null);
  }

  /** A call to a tool outside its agent's list is denied by the tool allow-list, like one outside the node's. */
  private static Verdict agentAllows(AgentSpec agent, ToolCall call) {
    String callee = AgentTools.agentOf(call.name());
    if (callee != null && agent != null) {
      // An agent as a tool: only those of the caller's `agents`.
      return agent.agents().contains(callee) ? null : Verdict.deny(ToolAllowList.NAME, "the agent '" + callee
          + "' is not among the agents the agent '" + agent.name() + "' may call");
    }
    if (agent == null || agent.mayUse(call.name())) return null;
    return Verdict.deny(ToolAllowList.NAME, "the tool '" + call.name() + "' is not among the tools of the agent '"
        + agent.name() + "'");
  }

  /** The plan follows the published catalog: recomputed only when its version changes. */
  private void refreshPlan() {
    PublishedCatalog catalog = catalogs.current();
    if (catalog.version() == planVersion) return;
    List<ToolSpec> allowed = new ArrayList<>();
    List<String> out = new ArrayList<>();
    for (ToolSpec tool : catalog.tools()) {
      if (settings.toolAllowed(tool.name())) allowed.add(tool);
      else out.add(tool.name());
    }
    plan = List.copyOf(allowed);
    removed = List.copyOf(out);
    planVersion = catalog.version();
  }

  private Behavior<Command> onRouteModelCall(RouteModelCall m) {
    chain = chainOf(m.agent());
    Map<Integer, Verdict> refused = null;
    List<ChatMessage> messages = m.request().messages();
    if (m.spent() != null && (spendMatters || chain != policies)) {
      Verdict v = check(new GuardTarget(GuardTarget.Kind.MODEL_CALL, "", null, m.intentId(),
          new GuardTarget.Spend(m.spent().tokens(), m.spent().costUsd(), estimateTokens(m.request()))));
      if (!v.passes()) {
        m.deniedTo().tell(new ModelInputDenied(m.corr(), Map.of(CALL_AS_A_WHOLE, v)));
        return this;
      }
    }
    for (int i = Math.max(0, m.newFrom()); i < messages.size(); i++) {
      ChatMessage message = messages.get(i);
      if (message.role() == ChatMessage.Role.ASSISTANT) continue; // the model's own words
      Verdict v = checkModelInput(message);
      if (!v.isAllow()) {
        if (refused == null) refused = new LinkedHashMap<>();
        refused.put(i, v);
      }
    }
    if (refused != null) {
      // Rewrites too: the loop puts them in its conversation and sends the call again.
      m.deniedTo().tell(new ModelInputDenied(m.corr(), refused));
    } else {
      targets.llm().tell(new LlmGateway.Chat(m.corr(), m.request(), m.deltaTo(), m.replyTo(), m.callKey()));
    }
    return this;
  }

  /** The index a {@link ModelInputDenied} gives a verdict on the call as a whole (the budget's). */
  public static final int CALL_AS_A_WHOLE = -1;

  /** Four characters a token for the input, plus the output limit (or 1,024 when the provider decides). */
  static long estimateTokens(ChatRequest request) {
    long chars = 0;
    for (ChatMessage message : request.messages()) {
      if (message.content() != null) chars += message.content().length();
      for (ToolCall call : message.toolCalls()) chars += call.arguments() == null ? 0 : call.arguments().toString().length();
    }
    for (ToolSpec tool : request.tools()) chars += tool.description() == null ? 0 : tool.description().length();
    return chars / 4 + (request.maxOutputTokens() > 0 ? request.maxOutputTokens() : 1024);
  }

  private Behavior<Command> onRouteToolCalls(RouteToolCalls m) {
    chain = chainOf(m.agent());
    List<Verdict> verdicts = new ArrayList<>(m.indices().size());
    AgentSpec agent = agentOf(m.agent());
    for (int index : m.indices()) {
      Verdict outsideAgent = agentAllows(agent, m.calls().get(index));
      if (outsideAgent != null) {
        verdicts.add(outsideAgent);
        continue;
      }
      // A call a person approved under the policies as they are now runs as it is: it is not gated again.
      String approvedAt = m.approved().get(index);
      verdicts.add(approvedAt != null && approvedAt.equals(settings.version()) ? Verdict.allow()
          : checkToolCall(m.calls().get(index)));
    }
    m.verdictsTo().tell(new ToolsChecked(m.corr(), m.indices(), verdicts, settings.version()));
    for (int k = 0; k < verdicts.size(); k++) {
      if (!verdicts.get(k).passes()) continue;
      int index = m.indices().get(k);
      ToolCall call = m.calls().get(index);
      Verdict v = verdicts.get(k);
      if (v.isRewrite()) call = new ToolCall(call.id(), call.name(), io.troupe.core.json.Json.parse(v.rewritten()));
      String key = m.idempotencyKeys().get(call.id());
      ToolContext context = key == null ? new ToolContext(m.intentId(), m.sessionId(), call.id())
          : new ToolContext(m.intentId(), m.sessionId(), call.id(), key);
      long corr = m.corr() + index;
      if (AgentTools.isAgentTool(call.name())) {
        runAgent(m, call, context, corr);
        continue;
      }
      targets.tools().tell(m.reconcile().contains(index)
          ? new ToolRegistry.Reconcile(corr, call, context, m.replyTo())
          : new ToolRegistry.Execute(corr, call, context, m.replyTo()));
    }
    return this;
  }

  /**
   * An agent as a tool runs as a child intent: a one-off actor submits it and answers {@code replyTo}
   * with its result. A reconcile after a crash does the same: the idempotency key finds the child.
   */
  private void runAgent(RouteToolCalls m, ToolCall call, ToolContext context, long corr) {
    ChildRun run = m.children().get(call.id());
    if (run == null) {
      m.replyTo().tell(ToolResult.failed(call.id(), call.name(), "the agent '" + AgentTools.agentOf(call.name())
          + "' cannot be called here").answering(corr));
      return;
    }
    getContext().spawnAnonymous(AgentCall.create(corr, call, context, run, m.replyTo(), sessions(), childRecheck));
  }

  private Function<String, RecipientRef<SessionEntity.Command>> sessions() {
    if (sessions == null) {
      var sharding = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(getContext().getSystem());
      sessions = id -> sharding.entityRefFor(SessionEntity.TYPE_KEY, id);
    }
    return sessions;
  }

  /** How an agent call reaches a session: through sharding, made on first use. */
  private Function<String, RecipientRef<SessionEntity.Command>> sessions;
  /** How often an agent call asks its child's session again (a lost node forgets who waits). */
  private final java.time.Duration childRecheck;

  private Behavior<Command> onRouteDocuments(RouteDocuments m) {
    chain = policies;
    List<VectorStore.Document> checked = new ArrayList<>(m.documents().size());
    String denied = checkDocuments(m.documents(), checked);
    if (denied != null) m.replyTo().tell(StatusReply.error(denied));
    else targets.vectorStore().tell(new VectorStore.Upsert(checked, m.replyTo()));
    return this;
  }

  /**
   * The error of the first refused document, or null with {@code checked} holding the documents to
   * write, rewritten where a policy rewrote them.
   */
  private String checkDocuments(List<VectorStore.Document> documents, List<VectorStore.Document> checked) {
    for (VectorStore.Document d : documents) {
      Verdict v = check(GuardTarget.of(GuardTarget.Kind.DOCUMENT, d.text()));
      if (!v.passes()) {
        return Errors.of(Errors.GUARDRAIL_DENIED, "document '" + d.id() + "' was refused by the guardrail ("
            + v.policy() + "): " + v.reason());
      }
      checked.add(v.isRewrite() ? new VectorStore.Document(d.id(), v.rewritten(), d.metadata()) : d);
    }
    return null;
  }

  // The policies: every one sees the target; the strictest verdict wins, and rewrites apply in turn.

  Verdict check(GuardTarget target) {
    return check(chain, target, settings.failOpen(), getContext().getLog());
  }

  /** The verdict of a chain of policies on one target, as every guardrail actor gives it. */
  static Verdict check(GuardrailPolicy[] policies, GuardTarget target, boolean failOpen, org.slf4j.Logger log) {
    Verdict result = Verdict.allow();
    GuardTarget current = target;
    String rewriter = null;
    List<String> rewrittenBy = null;
    for (GuardrailPolicy policy : policies) {
      Verdict v;
      try {
        v = policy.check(current);
      } catch (RuntimeException e) {
        log.warn("guardrail policy {} failed on a {} ({}): {}", policy.name(), target.kind().label(),
            failOpen ? "allowed: fail-open" : "denied: fail-closed", e.toString());
        v = failOpen ? Verdict.allow()
            : Verdict.deny(policy.name(), "the policy failed (" + e.getClass().getSimpleName() + "), and it fails closed");
      }
      if (v == null || v.isAllow()) continue;
      if (v.isRewrite()) {
        current = new GuardTarget(current.kind(), v.rewritten(), current.tool(), current.intentId());
        if (rewrittenBy == null) rewrittenBy = new ArrayList<>(2);
        rewriter = rewriter == null ? v.policy() : "guardrail";
        rewrittenBy.add(v.policy() + ": " + v.reason());
        continue;
      }
      result = result.stricter(v);
      if (result.kind() == Verdict.Kind.FATAL) return result;
    }
    if (result.isAllow() && rewrittenBy != null) {
      return Verdict.rewrite(rewriter, String.join("; ", rewrittenBy), current.text());
    }
    if (result.kind() == Verdict.Kind.REQUIRE_APPROVAL && rewrittenBy != null) {
      // What a person approves, and what then runs, is the rewritten version (a secret redacted).
      return new Verdict(result.kind(), result.policy(), result.reason(), current.text());
    }
    return result;
  }

  Verdict checkIntent(String text) {
    return check(GuardTarget.of(GuardTarget.Kind.INTENT, text));
  }

  Verdict checkToolCall(ToolCall call) {
    String args = call.arguments() == null ? "" : call.arguments().toString();
    Verdict v = check(new GuardTarget(GuardTarget.Kind.TOOL_CALL, args, call.name(), null));
    if (v.rewritten() != null) {
      try {
        io.troupe.core.json.Json.parse(v.rewritten());
      } catch (RuntimeException e) {
        return Verdict.deny(v.policy(), "the rewritten arguments of '" + call.name() + "' are not JSON");
      }
    }
    return v;
  }

  /** A message before any model reads it: a tool's result, or another new message. */
  Verdict checkModelInput(ChatMessage message) {
    return message.role() == ChatMessage.Role.TOOL
        ? check(new GuardTarget(GuardTarget.Kind.TOOL_RESULT, message.content(), message.name(), null))
        : check(GuardTarget.of(GuardTarget.Kind.MODEL_INPUT, message.content()));
  }

  Verdict checkAnswer(String answer) {
    return check(GuardTarget.of(GuardTarget.Kind.ANSWER, answer));
  }
}
