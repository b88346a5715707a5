package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;

/**
 * How an intent ended. {@code error} is a message for people; {@code errorCode} a stable word
 * for programs (e.g. {@code guardrail_denied}, {@code max_steps}, {@code unavailable}).
 * {@code output} is the JSON answer of an agent with an output schema (valid against it), else null;
 * outcomes journaled before it have none.
 */
public record Outcome(String answer, String nextAction, String error, String errorCode, JsonNode output)
    implements CborSerializable {

  public Outcome {
    // As the journal and the trace store read it back: an absent output is null, not a JSON null.
    output = output == null || output.isNull() || output.isMissingNode() ? null : output;
  }

  public Outcome(String answer, String nextAction, String error, String errorCode) {
    this(answer, nextAction, error, errorCode, null);
  }

  public static Outcome answered(String answer) {
    return new Outcome(answer, "none", null, null, null);
  }

  /** A structured answer: its JSON, and the same as text. */
  public static Outcome answered(String answer, JsonNode output) {
    return new Outcome(answer, "none", null, null, output);
  }

  public static Outcome failed(String errorCode, String error, String nextAction) {
    return new Outcome(null, nextAction, error, errorCode, null);
  }

  /** The same outcome with another error message (e.g. scrubbed for a caller). */
  public Outcome withError(String error) {
    return new Outcome(answer, nextAction, error, errorCode, output);
  }
}
