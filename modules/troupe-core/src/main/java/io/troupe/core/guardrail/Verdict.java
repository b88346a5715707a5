package io.troupe.core.guardrail;

import io.troupe.core.CborSerializable;
import java.util.Objects;

/**
 * The one verdict type of every guardrail check. What each kind does, wherever the guardrail routes:
 * <ul>
 *   <li>{@code ALLOW}: goes on unchanged;</li>
 *   <li>{@code REWRITE}: goes on with {@link #rewritten()} in place of the text or the arguments (a
 *       secret redacted, say); the original is never recorded;</li>
 *   <li>{@code REPROMPT}: the model is asked again, with the reason;</li>
 *   <li>{@code REQUIRE_APPROVAL}: a person must approve (tool calls);</li>
 *   <li>{@code DENY}: refused, and the refusal is fed back to the loop;</li>
 *   <li>{@code FATAL}: the intent ends.</li>
 * </ul>
 *
 * @param policy the policy that decided, e.g. {@code deny-patterns}
 * @param reason why, in words a model or a person can act on
 * @param rewritten for {@code REWRITE}: the replacement (text, or a tool call's arguments as JSON)
 */
public record Verdict(Kind kind, String policy, String reason, String rewritten) implements CborSerializable {

  /** In order of strictness: when policies disagree, the later kind wins. */
  public enum Kind {
    ALLOW,
    REWRITE,
    REPROMPT,
    REQUIRE_APPROVAL,
    DENY,
    FATAL
  }

  public Verdict {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.REWRITE && rewritten == null) throw new IllegalArgumentException("a rewrite needs its text");
  }

  public Verdict(Kind kind, String policy, String reason) {
    this(kind, policy, reason, null);
  }

  private static final Verdict ALLOW = new Verdict(Kind.ALLOW, null, null, null);

  public static Verdict allow() {
    return ALLOW;
  }

  public static Verdict rewrite(String policy, String reason, String rewritten) {
    return new Verdict(Kind.REWRITE, policy, reason, rewritten);
  }

  public static Verdict reprompt(String policy, String reason) {
    return new Verdict(Kind.REPROMPT, policy, reason, null);
  }

  public static Verdict requireApproval(String policy, String reason) {
    return new Verdict(Kind.REQUIRE_APPROVAL, policy, reason, null);
  }

  public static Verdict deny(String policy, String reason) {
    return new Verdict(Kind.DENY, policy, reason, null);
  }

  public static Verdict fatal(String policy, String reason) {
    return new Verdict(Kind.FATAL, policy, reason, null);
  }

  public boolean isAllow() {
    return kind == Kind.ALLOW;
  }

  public boolean isRewrite() {
    return kind == Kind.REWRITE;
  }

  /** Goes on: allowed as it is, or rewritten. */
  public boolean passes() {
    return kind == Kind.ALLOW || kind == Kind.REWRITE;
  }

  /** The stricter of two verdicts; of two kinds alike, the first. */
  public Verdict stricter(Verdict other) {
    return other.kind.ordinal() > kind.ordinal() ? other : this;
  }
}
