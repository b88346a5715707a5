package io.troupe.core.guardrail;

import io.troupe.core.CborSerializable;

/**
 * The one verdict type of every guardrail check. v0 produces {@code ALLOW}, {@code DENY} (fed
 * back to the agent loop) and {@code FATAL} (ends the run); the other kinds are reserved.
 *
 * @param policy the policy that decided, e.g. {@code deny-pattern}
 * @param reason why, in words a model or a person can act on
 */
public record Verdict(Kind kind, String policy, String reason) implements CborSerializable {

  public enum Kind {
    ALLOW,
    REWRITE,
    REPROMPT,
    REQUIRE_APPROVAL,
    DENY,
    FATAL
  }

  public static Verdict allow() {
    return new Verdict(Kind.ALLOW, null, null);
  }

  public static Verdict deny(String policy, String reason) {
    return new Verdict(Kind.DENY, policy, reason);
  }

  public static Verdict fatal(String policy, String reason) {
    return new Verdict(Kind.FATAL, policy, reason);
  }

  public boolean isAllow() {
    return kind == Kind.ALLOW;
  }
}
