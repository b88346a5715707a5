package io.troupe.llm;

import io.troupe.core.llm.LlmFailure;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/** Maps whatever a provider threw to a typed {@link LlmFailure}: no stack traces, no secrets. */
final class Failures {
  private static final int MAX_MESSAGE = 300;
  private static final Pattern[] SECRETS = {
    Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]+"),
    Pattern.compile("\\bsk-[A-Za-z0-9_-]{6,}"),
    Pattern.compile("(?i)\\b(api[_-]?key|x-api-key|token|secret|password|authorization)\\b(\\s*[:=]\\s*|\\s+)[^\\s,;&]+"),
  };

  private Failures() {}

  static LlmFailure from(Throwable error, String provider) {
    Throwable cause = unwrap(error);
    if (cause instanceof LlmException e) {
      return new LlmFailure(e.code(), safe(e.getMessage()));
    }
    if (cause instanceof TimeoutException || cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
      return new LlmFailure(LlmFailure.Code.TIMEOUT, "the provider '" + provider + "' timed out");
    }
    if (cause instanceof IllegalArgumentException) {
      return new LlmFailure(LlmFailure.Code.INVALID_REQUEST,
          "the provider '" + provider + "' rejected the request: " + safe(cause.getMessage()));
    }
    return new LlmFailure(LlmFailure.Code.PROVIDER_ERROR,
        "the provider '" + provider + "' failed (" + cause.getClass().getSimpleName() + ")");
  }

  /** A short reason for a failed init, without secrets. */
  static String reason(Throwable error) {
    Throwable cause = unwrap(error);
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : safe(message);
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String safe(String message) {
    if (message == null || message.isBlank()) {
      return "no details";
    }
    String out = message.replaceAll("\\s+", " ").trim();
    for (Pattern p : SECRETS) {
      out = p.matcher(out).replaceAll("[redacted]");
    }
    return out.length() <= MAX_MESSAGE ? out : out.substring(0, MAX_MESSAGE) + "...";
  }
}
