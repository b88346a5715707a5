package io.troupe.llm.resilience;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/** Delays between attempts: exponential with jitter, or what the provider's Retry-After says. */
public final class Backoff {
  private Backoff() {}

  /**
   * The delay before attempt {@code nextAttempt} (2 for the first retry). A {@code retryAfter}
   * from the provider wins, capped at {@code max-retry-after}; otherwise
   * {@code initial * multiplier^(n-2)}, capped at {@code max-backoff}, minus up to
   * {@code jitter} of it at random.
   */
  public static Duration delay(
      ResilienceSettings.RetrySettings retry, int nextAttempt, Duration retryAfter, DoubleSupplier random) {
    if (retryAfter != null && !retryAfter.isNegative()) {
      return retryAfter.compareTo(retry.maxRetryAfter()) > 0 ? retry.maxRetryAfter() : retryAfter;
    }
    double base = retry.initialBackoff().toNanos() * Math.pow(retry.multiplier(), Math.max(0, nextAttempt - 2));
    double capped = Math.min(base, retry.maxBackoff().toNanos());
    double jittered = capped * (1.0 - retry.jitter() * random.getAsDouble());
    return Duration.ofNanos((long) jittered);
  }
}
