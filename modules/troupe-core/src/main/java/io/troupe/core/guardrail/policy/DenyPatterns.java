package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code troupe.guardrail.deny-patterns}: regular expressions refused everywhere. On the intent the
 * refusal is fatal; elsewhere it is a deny, fed back to the loop. Holds one matcher per pattern, so
 * an instance serves one guardrail actor at a time.
 */
public final class DenyPatterns implements GuardrailPolicy {
  public static final String NAME = "deny-pattern"; // the name verdicts and errors have always given

  private final Matcher[] matchers;

  public DenyPatterns(List<Pattern> patterns) {
    this.matchers = patterns.stream().map(p -> p.matcher("")).toArray(Matcher[]::new);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    String found = firstMatch(target.text());
    if (found == null) return Verdict.allow();
    String what = switch (target.kind()) {
      case INTENT -> "the intent";
      case TOOL_CALL -> "the arguments of '" + target.tool() + "'";
      case TOOL_RESULT -> "the result of '" + target.tool() + "'";
      case ANSWER -> "the answer";
      case DOCUMENT -> "the document";
      case MODEL_INPUT -> "a message to the model";
      case MODEL_CALL -> "the model call";
    };
    String reason = what + " matches a denied pattern: " + found;
    return target.kind() == GuardTarget.Kind.INTENT ? Verdict.fatal(NAME, reason) : Verdict.deny(NAME, reason);
  }

  /** The first pattern that matches, or null. */
  public String firstMatch(String text) {
    if (text == null) return null;
    for (Matcher m : matchers) {
      boolean found = m.reset(text).find();
      m.reset(""); // holds no reference to the text
      if (found) return m.pattern().pattern();
    }
    return null;
  }
}
