package io.troupe.core.guardrail;

/**
 * What a policy checks.
 *
 * @param kind where in the run it is
 * @param text the text: the intent, a message, a result, the answer, a document; for a tool call its
 *     arguments as JSON
 * @param tool the tool, for a tool call or a tool result; else null
 * @param intentId the intent, when there is one
 * @param spend for a {@link Kind#MODEL_CALL}: what the intent spent so far and what the call may add; else null
 */
public record GuardTarget(Kind kind, String text, String tool, String intentId, Spend spend) {

  public GuardTarget(Kind kind, String text, String tool, String intentId) {
    this(kind, text, tool, intentId, null);
  }

  /**
   * An intent's spend before a model call: tokens and cost so far, and an estimate of the tokens the
   * call may add (its input at four characters a token, plus its output limit).
   */
  public record Spend(long tokensUsed, double costUsdUsed, long callTokensEstimate) {}

  public enum Kind {
    INTENT,
    MODEL_INPUT,
    TOOL_CALL,
    TOOL_RESULT,
    ANSWER,
    DOCUMENT,
    /** A model call as a whole, before it is sent: its text is empty, its {@link Spend} is set. */
    MODEL_CALL;

    /** The name in verdicts, steps and metrics: {@code tool_call}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static GuardTarget of(Kind kind, String text) {
    return new GuardTarget(kind, text, null, null);
  }
}
