package io.troupe.core.guardrail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Routers;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Checks every intent, plan, tool call and final answer before it executes. It keeps no state
 * per run, so it answers each check at once.
 */
public final class Guardrail extends AbstractBehavior<Guardrail.Command> {

  public interface Command extends CborSerializable {}

  public record CheckIntent(String intentId, String text, ActorRef<Verdict> replyTo) implements Command {}

  /** Answers with the tools the run may offer the model. */
  public record CheckPlan(String intentId, List<ToolSpec> tools, ActorRef<PlanVerdict> replyTo) implements Command {}

  public record PlanVerdict(List<ToolSpec> allowed, List<String> removed) implements CborSerializable {}

  /** The calls of one tool turn, checked together: one verdict per call, in call order. */
  public record CheckToolCalls(String intentId, List<ToolCall> calls, ActorRef<ToolCallVerdicts> replyTo)
      implements Command {}

  public record ToolCallVerdicts(List<Verdict> verdicts) implements CborSerializable {}

  public record CheckAnswer(String intentId, String answer, ActorRef<Verdict> replyTo) implements Command {}

  public static Behavior<Command> create(GuardrailPolicy policy) {
    return Behaviors.setup(ctx -> new Guardrail(ctx, policy));
  }

  /**
   * {@code size} guardrails behind one round-robin router: the checks are pure CPU work and keep no
   * state, so thousands of runs checking at once spread over the cores instead of one mailbox.
   */
  public static Behavior<Command> pool(GuardrailPolicy policy, int size) {
    return size <= 1 ? create(policy) : Routers.pool(size, create(policy)).withRoundRobinRouting();
  }

  private final GuardrailPolicy policy;

  private Guardrail(ActorContext<Command> ctx, GuardrailPolicy policy) {
    super(ctx);
    this.policy = policy;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(CheckIntent.class, m -> reply(m.replyTo(), checkIntent(m.text())))
        .onMessage(CheckPlan.class, this::onCheckPlan)
        .onMessage(CheckToolCalls.class, this::onCheckToolCalls)
        .onMessage(CheckAnswer.class, m -> reply(m.replyTo(), checkAnswer(m.answer())))
        .build();
  }

  private Behavior<Command> reply(ActorRef<Verdict> replyTo, Verdict verdict) {
    replyTo.tell(verdict);
    return this;
  }

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

  private Behavior<Command> onCheckPlan(CheckPlan m) {
    List<ToolSpec> allowed = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (ToolSpec tool : m.tools()) {
      if (policy.toolAllowed(tool.name())) allowed.add(tool);
      else removed.add(tool.name());
    }
    m.replyTo().tell(new PlanVerdict(List.copyOf(allowed), List.copyOf(removed)));
    return this;
  }

  private Behavior<Command> onCheckToolCalls(CheckToolCalls m) {
    List<Verdict> verdicts = new ArrayList<>(m.calls().size());
    for (ToolCall call : m.calls()) verdicts.add(checkToolCall(call));
    m.replyTo().tell(new ToolCallVerdicts(List.copyOf(verdicts)));
    return this;
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
    for (Pattern p : policy.denyPatterns()) {
      if (p.matcher(text).find()) {
        return Optional.of(p.pattern());
      }
    }
    return Optional.empty();
  }
}
