package io.troupe.core.llm;

import io.troupe.core.CborSerializable;

/** A typed model-call failure; {@code message} is safe to show to a user (no secrets). */
public record LlmFailure(Code code, String message) implements CborSerializable {
  public enum Code {
    UNAVAILABLE,
    AUTHENTICATION,
    INVALID_REQUEST,
    MODEL_NOT_FOUND,
    RATE_LIMITED,
    OVERLOADED,
    TIMEOUT,
    PROVIDER_ERROR
  }
}
