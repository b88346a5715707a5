package io.troupe.core.tools;

import com.fasterxml.jackson.databind.JsonNode;

/** What a side-effecting tool knows of a call whose outcome a crash left unknown. */
public record Reconciliation(Outcome outcome, JsonNode output, String reason) {

  public enum Outcome {
    /** The call took effect; {@code output} is what it returned (or a summary of it). */
    APPLIED,
    /** The call never took effect: it is safe to run it now, with the same idempotency key. */
    NOT_APPLIED,
    /** Nobody can tell: the call is not run again, and the model is told so. */
    UNKNOWN
  }

  public static Reconciliation applied(JsonNode output) {
    return new Reconciliation(Outcome.APPLIED, output, null);
  }

  public static Reconciliation notApplied() {
    return new Reconciliation(Outcome.NOT_APPLIED, null, null);
  }

  public static Reconciliation unknown(String reason) {
    return new Reconciliation(Outcome.UNKNOWN, null, reason);
  }
}
