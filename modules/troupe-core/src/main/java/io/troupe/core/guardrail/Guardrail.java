package io.troupe.core.guardrail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.Errors;
import io.troupe.core.tools.PublishedCatalog;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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

  /** Check an intent's text; the answer carries the plan. Sent again when a run resumes. */
  public record CheckIntent(long corr, String intentId, String text, ActorRef<Answer> replyTo) implements Command {}

  /**
   * Check a model call's input from {@code newFrom} on (what the last call did not send: tool results
   * among it), then forward it to the gateway. A denied message is answered with {@link ModelInputDenied}.
   */
  public record RouteModelCall(long corr, String intentId, ChatRequest request, int newFrom, String callKey,
      ActorRef<LlmGateway.ChatResult> replyTo, ActorRef<ChatDelta> deltaTo, ActorRef<Answer> deniedTo)
      implements Command {}

  /** Abort a model call routed before (not execution: it frees the provider's request). */
  public record CancelModelCall(String callKey) implements Command {}

  /**
   * Check the calls at {@code indices} of one tool turn and forward the allowed ones to the registry,
   * all at once; each call's reply carries {@code corr + index}. The verdicts, one per routed index,
   * go to {@code verdictsTo} first. {@code reconcile} lists the indices whose earlier run a crash hid.
   */
  public record RouteToolCalls(long corr, String intentId, String sessionId, List<ToolCall> calls, List<Integer> indices,
      List<Integer> reconcile, Map<String, String> idempotencyKeys, ActorRef<ToolResult> replyTo,
      ActorRef<Answer> verdictsTo) implements Command {}

  public record CheckAnswer(long corr, String intentId, String answer, ActorRef<Answer> replyTo) implements Command {}

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

  public record ToolsChecked(long corr, List<Integer> indices, List<Verdict> verdicts) implements Answer {}

  public record AnswerChecked(long corr, Verdict verdict) implements Answer {}

  public static Behavior<Command> create(GuardrailPolicy policy, Targets targets) {
    return Behaviors.setup(ctx -> new Guardrail(ctx, policy, targets));
  }

  private final GuardrailPolicy policy;
  /** One matcher per deny pattern, reset for each text: this actor checks one text at a time. */
  private final Matcher[] denyMatchers;
  private final Targets targets;
  private final ToolCatalogs catalogs;
  private long planVersion = -1;
  private List<ToolSpec> plan = List.of();
  private List<String> removed = List.of();

  private Guardrail(ActorContext<Command> ctx, GuardrailPolicy policy, Targets targets) {
    super(ctx);
    this.policy = policy;
    this.denyMatchers = policy.denyPatterns().stream().map(p -> p.matcher("")).toArray(Matcher[]::new);
    this.targets = targets;
    this.catalogs = ToolCatalogs.get(ctx.getSystem());
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
          m.replyTo().tell(new AnswerChecked(m.corr(), checkAnswer(m.answer())));
          return this;
        })
        .onMessage(RouteDocuments.class, this::onRouteDocuments)
        .onMessage(CheckDocuments.class, m -> {
          String denied = deniedDocument(m.documents());
          m.replyTo().tell(denied == null ? StatusReply.success(org.apache.pekko.Done.getInstance())
              : StatusReply.error(denied));
          return this;
        })
        .build();
  }

  private Behavior<Command> onCheckIntent(CheckIntent m) {
    Verdict verdict = checkIntent(m.text());
    refreshPlan();
    m.replyTo().tell(new IntentChecked(m.corr(), verdict, plan, removed));
    return this;
  }

  /** The plan follows the published catalog: recomputed only when its version changes. */
  private void refreshPlan() {
    PublishedCatalog catalog = catalogs.current();
    if (catalog.version() == planVersion) return;
    List<ToolSpec> allowed = new ArrayList<>();
    List<String> out = new ArrayList<>();
    for (ToolSpec tool : catalog.tools()) {
      if (policy.toolAllowed(tool.name())) allowed.add(tool);
      else out.add(tool.name());
    }
    plan = List.copyOf(allowed);
    removed = List.copyOf(out);
    planVersion = catalog.version();
  }

  private Behavior<Command> onRouteModelCall(RouteModelCall m) {
    Map<Integer, Verdict> denied = null;
    List<ChatMessage> messages = m.request().messages();
    for (int i = Math.max(0, m.newFrom()); i < messages.size(); i++) {
      ChatMessage message = messages.get(i);
      if (message.role() != ChatMessage.Role.TOOL) continue;
      Verdict v = checkToolResult(message);
      if (!v.isAllow()) {
        if (denied == null) denied = new LinkedHashMap<>();
        denied.put(i, v);
      }
    }
    if (denied != null) {
      m.deniedTo().tell(new ModelInputDenied(m.corr(), denied));
    } else {
      targets.llm().tell(new LlmGateway.Chat(m.corr(), m.request(), m.deltaTo(), m.replyTo(), m.callKey()));
    }
    return this;
  }

  private Behavior<Command> onRouteToolCalls(RouteToolCalls m) {
    List<Verdict> verdicts = new ArrayList<>(m.indices().size());
    for (int index : m.indices()) verdicts.add(checkToolCall(m.calls().get(index)));
    m.verdictsTo().tell(new ToolsChecked(m.corr(), m.indices(), verdicts));
    for (int k = 0; k < verdicts.size(); k++) {
      if (!verdicts.get(k).isAllow()) continue;
      int index = m.indices().get(k);
      ToolCall call = m.calls().get(index);
      String key = m.idempotencyKeys().get(call.id());
      ToolContext context = key == null ? new ToolContext(m.intentId(), m.sessionId(), call.id())
          : new ToolContext(m.intentId(), m.sessionId(), call.id(), key);
      long corr = m.corr() + index;
      targets.tools().tell(m.reconcile().contains(index)
          ? new ToolRegistry.Reconcile(corr, call, context, m.replyTo())
          : new ToolRegistry.Execute(corr, call, context, m.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onRouteDocuments(RouteDocuments m) {
    String denied = deniedDocument(m.documents());
    if (denied != null) m.replyTo().tell(StatusReply.error(denied));
    else targets.vectorStore().tell(new VectorStore.Upsert(m.documents(), m.replyTo()));
    return this;
  }

  /** The error of the first refused document, or null: the intent's deny patterns apply to documents. */
  private String deniedDocument(List<VectorStore.Document> documents) {
    for (VectorStore.Document d : documents) {
      Optional<String> pattern = denyPattern(d.text());
      if (pattern.isPresent()) {
        return Errors.of(Errors.GUARDRAIL_DENIED, "document '" + d.id()
            + "' was refused by the guardrail (deny-pattern): it matches a denied pattern: " + pattern.get());
      }
    }
    return null;
  }

  // The policies: pure functions.

  Verdict checkIntent(String text) {
    if (text == null || text.isBlank()) {
      return Verdict.fatal("input", "the intent is empty");
    }
    if (text.length() > policy.maxInputChars()) {
      return Verdict.fatal("max-input-chars", "the intent has " + text.length() + " characters; at most "
          + policy.maxInputChars() + " are allowed");
    }
    return denyPattern(text).map(p -> Verdict.fatal("deny-pattern", "the intent matches a denied pattern: " + p))
        .orElse(Verdict.allow());
  }

  Verdict checkToolCall(ToolCall call) {
    if (!policy.toolAllowed(call.name())) {
      return Verdict.deny("tool-allow-list", "the tool '" + call.name() + "' is not on the allow-list");
    }
    String args = call.arguments() == null ? "" : call.arguments().toString();
    Optional<String> pattern = denyPattern(args);
    if (pattern.isPresent()) {
      return Verdict.deny("deny-pattern", "the arguments of '" + call.name() + "' match a denied pattern: " + pattern.get());
    }
    if (policy.sqlReadOnly() && policy.sqlTools().contains(call.name())) {
      JsonNode sql = call.arguments() == null ? null : call.arguments().get("sql");
      Optional<String> violation = ReadOnlySql.violation(sql == null || !sql.isTextual() ? null : sql.asText());
      if (violation.isPresent()) {
        return Verdict.deny("sql-read-only", violation.get());
      }
    }
    return Verdict.allow();
  }

  /** A tool's result before any model reads it: the intent's deny patterns apply. */
  Verdict checkToolResult(ChatMessage result) {
    return denyPattern(result.content())
        .map(p -> Verdict.deny("deny-pattern", "the result of '" + result.name() + "' matches a denied pattern: " + p))
        .orElse(Verdict.allow());
  }

  Verdict checkAnswer(String answer) {
    if (answer == null || answer.isBlank()) {
      return Verdict.deny("answer", "the answer is empty");
    }
    if (answer.length() > policy.maxAnswerChars()) {
      return Verdict.deny("max-answer-chars", "the answer is longer than " + policy.maxAnswerChars() + " characters");
    }
    return denyPattern(answer).map(p -> Verdict.deny("deny-pattern", "the answer matches a denied pattern: " + p))
        .orElse(Verdict.allow());
  }

  private Optional<String> denyPattern(String text) {
    if (text == null) return Optional.empty();
    for (Matcher m : denyMatchers) {
      boolean found = m.reset(text).find();
      m.reset(""); // holds no reference to the text
      if (found) {
        return Optional.of(m.pattern().pattern());
      }
    }
    return Optional.empty();
  }
}
