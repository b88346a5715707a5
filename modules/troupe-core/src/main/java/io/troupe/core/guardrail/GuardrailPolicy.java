package io.troupe.core.guardrail;

/**
 * One check of the guardrail. Register it by class name in {@code troupe.guardrail.policies}
 * (a public constructor taking a {@code com.typesafe.config.Config} of the {@code troupe} section, or
 * none), or in Java with {@link GuardrailSettings#withPolicy}. Every policy sees every target; the
 * strictest verdict wins (fatal > deny > require_approval > reprompt > rewrite > allow), and
 * rewrites apply in turn. A check runs inside the guardrail actor: it must be quick and must not
 * block. One that throws is decided by {@code troupe.guardrail.fail-open}.
 */
public interface GuardrailPolicy {

  /** The name a verdict names, e.g. {@code redact-secrets}. */
  String name();

  /** The verdict for one target; {@link Verdict#allow()} when this policy has nothing to say. */
  Verdict check(GuardTarget target);
}
