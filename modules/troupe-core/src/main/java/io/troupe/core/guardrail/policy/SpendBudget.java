package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import java.util.Locale;

/**
 * A token and cost budget per intent ({@code troupe.guardrail.budget}), checked before each model
 * call: a call whose estimated tokens would take the intent over its budget, or an intent whose cost
 * already reached it, is refused ({@code fatal}), so the call that would overspend is never made.
 * The loop's own limits ({@code troupe.agent.max-tokens}, {@code max-cost-usd}) end a run after a
 * reply crossed them; this one stops before.
 */
public final class SpendBudget implements GuardrailPolicy {
  public static final String NAME = "budget";

  private final long maxTokens;
  private final double maxCostUsd;

  /** 0 for no limit on either. */
  public SpendBudget(long maxTokens, double maxCostUsd) {
    if (maxTokens < 0 || maxCostUsd < 0) {
      throw new IllegalArgumentException("troupe.guardrail.budget: limits must be 0 (none) or positive");
    }
    this.maxTokens = maxTokens;
    this.maxCostUsd = maxCostUsd;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    GuardTarget.Spend spend = target.spend();
    if (target.kind() != GuardTarget.Kind.MODEL_CALL || spend == null) return Verdict.allow();
    long after = spend.tokensUsed() + spend.callTokensEstimate();
    if (maxTokens > 0 && after > maxTokens) {
      return Verdict.fatal(NAME, "the next model call would take the intent to about " + after
          + " tokens, over its budget of " + maxTokens + " (" + spend.tokensUsed() + " used)");
    }
    if (maxCostUsd > 0 && spend.costUsdUsed() >= maxCostUsd) {
      return Verdict.fatal(NAME, String.format(Locale.ROOT,
          "the intent has cost %.6f USD, its budget is %.6f USD", spend.costUsdUsed(), maxCostUsd));
    }
    return Verdict.allow();
  }
}
