package io.troupe.llm;

import io.troupe.core.llm.LlmFailure;
import io.troupe.llm.http.RateLimitInfo;
import java.time.Duration;
import java.util.Optional;

/**
 * A provider failure with a typed code. Providers complete their stage with it; its message must
 * be safe to show to a user (the gateway redacts obvious secrets again, to be sure).
 *
 * <p>HTTP providers add what the resilience layer needs to decide on a retry: the HTTP status (0
 * when there was no response), the rate-limit headers with {@code Retry-After}, and whether any
 * content already reached the caller (a stream that delivered content must never be retried).
 *
 * <p>A {@linkplain #connection() connection failure} is not an answer of the provider: no
 * connection could be opened, the pool had no room, or the connection broke before a response
 * head arrived. The gateway retries it within the call's budget and does not count it against
 * the provider's circuit breaker.
 */
public final class LlmException extends RuntimeException {
  private final LlmFailure.Code code;
  private final int status;
  private final RateLimitInfo rateLimit;
  private final boolean contentDelivered;
  private final boolean connection;

  public LlmException(LlmFailure.Code code, String message) {
    this(code, message, 0, RateLimitInfo.NONE, false);
  }

  public LlmException(LlmFailure.Code code, String message, int status, RateLimitInfo rateLimit, boolean contentDelivered) {
    this(code, message, status, rateLimit, contentDelivered, false);
  }

  public LlmException(
      LlmFailure.Code code, String message, int status, RateLimitInfo rateLimit, boolean contentDelivered,
      boolean connection) {
    super(message, null, false, false);
    this.code = code;
    this.status = status;
    this.rateLimit = rateLimit == null ? RateLimitInfo.NONE : rateLimit;
    this.contentDelivered = contentDelivered;
    this.connection = connection && !contentDelivered;
  }

  /** A failure of the connection to the provider, not the provider's answer (see the class comment). */
  public static LlmException connection(LlmFailure.Code code, String message) {
    return new LlmException(code, message, 0, RateLimitInfo.NONE, false, true);
  }

  /**
   * Whether the provider never answered this attempt because the connection failed (it could not
   * be opened, the pool was full, or it broke before a response head): such a failure says nothing
   * about the provider's health. Never true once content reached the caller.
   */
  public boolean connection() {
    return connection;
  }

  public LlmFailure.Code code() {
    return code;
  }

  /** The provider's HTTP status, or 0 when the failure came before or without a response. */
  public int status() {
    return status;
  }

  /** Rate-limit headers of the failed response; {@link RateLimitInfo#NONE} when there were none. */
  public RateLimitInfo rateLimit() {
    return rateLimit;
  }

  /** The provider's {@code Retry-After}, when it sent one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(rateLimit.retryAfter());
  }

  /** Whether any delta reached the caller before the failure: such a call must not be retried. */
  public boolean contentDelivered() {
    return contentDelivered;
  }

  /** The same failure, marked as having delivered content (or not). */
  public LlmException withContentDelivered(boolean delivered) {
    return delivered == contentDelivered ? this
        : new LlmException(code, getMessage(), status, rateLimit, delivered, connection);
  }
}
