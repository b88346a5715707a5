package io.troupe.core.session;

import io.troupe.core.CborSerializable;

/**
 * How an intent ended. {@code error} is a message for people; {@code errorCode} a stable word
 * for programs (e.g. {@code guardrail_denied}, {@code max_steps}, {@code unavailable}).
 */
public record Outcome(String answer, String nextAction, String error, String errorCode)
    implements CborSerializable {

  public static Outcome answered(String answer) {
    return new Outcome(answer, "none", null, null);
  }

  public static Outcome failed(String errorCode, String error, String nextAction) {
    return new Outcome(null, nextAction, error, errorCode);
  }
}
