package io.troupe.llm;

import io.troupe.core.llm.LlmFailure;

/**
 * A provider failure with a typed code. Providers complete their stage with it; its message must
 * be safe to show to a user (the gateway redacts obvious secrets again, to be sure).
 */
public final class LlmException extends RuntimeException {
  private final LlmFailure.Code code;

  public LlmException(LlmFailure.Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public LlmFailure.Code code() {
    return code;
  }
}
