package io.troupe.core.guardrail;

/**
 * What a policy checks.
 *
 * @param kind where in the run it is
 * @param text the text: the intent, a message, a result, the answer, a document; for a tool call its
 *     arguments as JSON
 * @param tool the tool, for a tool call or a tool result; else null
 * @param intentId the intent, when there is one
 */
public record GuardTarget(Kind kind, String text, String tool, String intentId) {

  public enum Kind {
    INTENT,
    MODEL_INPUT,
    TOOL_CALL,
    TOOL_RESULT,
    ANSWER,
    DOCUMENT;

    /** The name in verdicts, steps and metrics: {@code tool_call}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static GuardTarget of(Kind kind, String text) {
    return new GuardTarget(kind, text, null, null);
  }
}
