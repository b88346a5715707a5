package io.troupe.http.support;

import java.util.function.LongSupplier;

/**
 * Refuses new intents while this node already holds {@code maxInFlight} of them (accepted or
 * running), so that a flood ends in 503 and Retry-After rather than in an out-of-memory error.
 * Reads are never shed.
 */
public final class LoadShedder {
  private final LongSupplier inFlight;
  private final long maxInFlight;
  private final int retryAfterSeconds;
  private final Runnable onShed;

  /** @param maxInFlight 0 for no bound */
  public LoadShedder(LongSupplier inFlight, long maxInFlight, int retryAfterSeconds) {
    this(inFlight, maxInFlight, retryAfterSeconds, () -> { });
  }

  /** @param onShed told of each request refused (the metrics count them) */
  public LoadShedder(LongSupplier inFlight, long maxInFlight, int retryAfterSeconds, Runnable onShed) {
    this.inFlight = inFlight;
    this.maxInFlight = maxInFlight;
    this.retryAfterSeconds = retryAfterSeconds;
    this.onShed = onShed;
  }

  /** @throws ApiError 503 overloaded when the node is full */
  public void admit() {
    if (maxInFlight > 0 && inFlight.getAsLong() >= maxInFlight) {
      onShed.run();
      throw new ApiError(503, ApiError.OVERLOADED,
          "this node holds as many intents as it may (" + maxInFlight + "); retry shortly", retryAfterSeconds);
    }
  }
}
