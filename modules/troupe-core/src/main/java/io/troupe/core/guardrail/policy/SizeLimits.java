package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;

/** {@code troupe.guardrail.max-input-chars} and {@code max-answer-chars}; an empty intent or answer is refused. */
public final class SizeLimits implements GuardrailPolicy {
  public static final String NAME = "size-limits";

  private final int maxInputChars;
  private final int maxAnswerChars;

  public SizeLimits(int maxInputChars, int maxAnswerChars) {
    this.maxInputChars = maxInputChars;
    this.maxAnswerChars = maxAnswerChars;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    String text = target.text();
    if (target.kind() == GuardTarget.Kind.INTENT) {
      if (text == null || text.isBlank()) return Verdict.fatal("input", "the intent is empty");
      if (text.length() > maxInputChars) {
        return Verdict.fatal("max-input-chars", "the intent has " + text.length() + " characters; at most "
            + maxInputChars + " are allowed");
      }
    } else if (target.kind() == GuardTarget.Kind.ANSWER) {
      if (text == null || text.isBlank()) return Verdict.deny("answer", "the answer is empty");
      if (text.length() > maxAnswerChars) {
        return Verdict.deny("max-answer-chars", "the answer is longer than " + maxAnswerChars + " characters");
      }
    }
    return Verdict.allow();
  }
}
