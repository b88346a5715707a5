package io.troupe.core.session;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

public enum IntentStatus {
  ACCEPTED,
  RUNNING,
  AWAITING_APPROVAL,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  INTERRUPTED;

  public boolean isTerminal() {
    return this != ACCEPTED && this != RUNNING && this != AWAITING_APPROVAL;
  }

  /** The terminal event type, e.g. {@code intent.succeeded}. */
  public String eventType() {
    return "intent." + json();
  }

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static IntentStatus fromJson(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
