package io.troupe.http.support;

import io.troupe.core.session.Errors;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An error answer of the HTTP contract: {@code {"error":{"code","message"}}} with the status that
 * belongs to the code. Thrown (or completed exceptionally) anywhere below the routes; the
 * exception handler renders it. No stack trace: it is an answer, not a bug.
 */
public final class ApiError extends RuntimeException {
  private static final Logger log = LoggerFactory.getLogger(ApiError.class);

  public static final String INVALID_REQUEST = "invalid_request";
  public static final String NOT_FOUND = "not_found";
  public static final String UNAUTHORIZED = "unauthorized";
  public static final String FORBIDDEN = "forbidden";
  public static final String PAYLOAD_TOO_LARGE = "payload_too_large";
  public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
  public static final String RATE_LIMITED = "rate_limited";
  public static final String OVERLOADED = "overloaded";
  public static final String CONFLICT = "conflict";
  public static final String UNAVAILABLE = "unavailable";
  public static final String INTERNAL = "internal";
  public static final String GUARDRAIL_DENIED = "guardrail_denied";

  private static final Map<String, Integer> STATUS = Map.ofEntries(
      Map.entry(INVALID_REQUEST, 400),
      Map.entry(UNAUTHORIZED, 401),
      Map.entry(FORBIDDEN, 403),
      Map.entry(NOT_FOUND, 404),
      Map.entry(CONFLICT, 409),
      Map.entry(GUARDRAIL_DENIED, 422),
      Map.entry(PAYLOAD_TOO_LARGE, 413),
      Map.entry(UNSUPPORTED_MEDIA_TYPE, 415),
      Map.entry(RATE_LIMITED, 429),
      Map.entry(INTERNAL, 500),
      Map.entry(OVERLOADED, 503),
      Map.entry(UNAVAILABLE, 503));

  private final int status;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiError(int status, String code, String message, Integer retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError of(String code, String message) {
    return new ApiError(statusOf(code), code, message, null);
  }

  public static ApiError invalid(String message) {
    return of(INVALID_REQUEST, message);
  }

  public static ApiError notFound(String message) {
    return of(NOT_FOUND, message);
  }

  public static ApiError unavailable(String message, int retryAfterSeconds) {
    return new ApiError(503, UNAVAILABLE, message, retryAfterSeconds);
  }

  /** An error string of the form {@code code: message} as the session entity and subsystems reply. */
  public static ApiError fromCoded(String error, int retryAfterSeconds) {
    String code = Errors.codeOf(error).trim().toLowerCase(Locale.ROOT);
    String message = Errors.messageOf(error);
    if (!STATUS.containsKey(code)) {
      // Not one of ours: a failure inside, which may name Java types. Logged, not shown.
      log.warn("a subsystem failed without an error code: {}", error);
      return of(INTERNAL, "internal error");
    }
    int status = statusOf(code);
    return new ApiError(status, code, message, status == 503 || status == 429 ? retryAfterSeconds : null);
  }

  public static int statusOf(String code) {
    return STATUS.getOrDefault(code, 500);
  }

  /** The code that belongs to an HTTP status, for errors raised by Pekko itself. */
  public static String codeOfStatus(int status) {
    return switch (status) {
      case 401 -> UNAUTHORIZED;
      case 403 -> FORBIDDEN;
      case 404 -> NOT_FOUND;
      case 409 -> CONFLICT;
      case 413 -> PAYLOAD_TOO_LARGE;
      case 415 -> UNSUPPORTED_MEDIA_TYPE;
      case 429 -> RATE_LIMITED;
      case 503, 504 -> UNAVAILABLE;
      default -> status >= 500 ? INTERNAL : INVALID_REQUEST;
    };
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
