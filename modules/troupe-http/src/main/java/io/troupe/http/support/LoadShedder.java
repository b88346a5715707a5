package io.troupe.http.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Sheds new intents before any work is spent on them, with 503 overloaded and Retry-After, so
 * that a flood ends in quick answers rather than in an out-of-memory error or in connections
 * that wait for minutes. Two bounds:
 * <ul>
 *   <li>{@code maxInFlight}: the intents this node already holds (accepted or running);
 *   <li>{@code maxPendingAccepts}: submissions whose acceptance is under way at once (the body
 *       read, the session's answer). A burst of clients beyond what the node accepts per
 *       second would otherwise queue up behind each other until their own timeouts.
 * </ul>
 * Reads are never shed. Both checks run before the request body is read.
 */
public final class LoadShedder {
  private final LongSupplier inFlight;
  private final long maxInFlight;
  private final int maxPendingAccepts;
  private final int retryAfterSeconds;
  private final AtomicInteger pendingAccepts = new AtomicInteger();
  private final Runnable onShed;

  /** @param maxInFlight 0 for no bound */
  public LoadShedder(LongSupplier inFlight, long maxInFlight, int retryAfterSeconds) {
    this(inFlight, maxInFlight, 0, retryAfterSeconds, () -> { });
  }

  /** @param maxInFlight 0 for no bound; @param maxPendingAccepts 0 for no bound */
  public LoadShedder(LongSupplier inFlight, long maxInFlight, int maxPendingAccepts, int retryAfterSeconds) {
    this(inFlight, maxInFlight, maxPendingAccepts, retryAfterSeconds, () -> { });
  }

  /**
   * @param maxInFlight 0 for no bound
   * @param maxPendingAccepts 0 for no bound
   * @param onShed told of each request refused (the metrics count them)
   */
  public LoadShedder(LongSupplier inFlight, long maxInFlight, int maxPendingAccepts, int retryAfterSeconds,
      Runnable onShed) {
    this.inFlight = inFlight;
    this.maxInFlight = maxInFlight;
    this.maxPendingAccepts = maxPendingAccepts;
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

  /**
   * Takes one of the places of submissions being accepted; the caller gives it back with
   * {@link #acceptDone()} once the submission is answered, whatever the answer.
   *
   * @throws ApiError 503 overloaded when every place is taken
   */
  public void beginAccept() {
    if (maxPendingAccepts <= 0) {
      return;
    }
    if (pendingAccepts.incrementAndGet() > maxPendingAccepts) {
      pendingAccepts.decrementAndGet();
      onShed.run();
      throw new ApiError(503, ApiError.OVERLOADED, "this node is accepting as many intents at once as it may ("
          + maxPendingAccepts + "); retry shortly", retryAfterSeconds);
    }
  }

  public void acceptDone() {
    if (maxPendingAccepts > 0) {
      pendingAccepts.decrementAndGet();
    }
  }

  /** Submissions being accepted now. */
  public int pendingAccepts() {
    return pendingAccepts.get();
  }
}
