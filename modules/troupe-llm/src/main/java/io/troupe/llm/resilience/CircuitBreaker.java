package io.troupe.llm.resilience;

import io.troupe.core.llm.LlmGateway.BreakerState;

/**
 * A circuit breaker for one provider and model, on an explicit nanosecond clock. It opens when, over
 * the sliding time {@code window}, at least {@code minimum-calls} calls were answered and the share
 * of them that failed reaches {@code failure-rate}; a count of failures alone never opens it, so a
 * burst of many simultaneous calls that fail together weighs as much as their share, not their
 * number. Only the provider's answers are recorded (the gateway decides which: 5xx, 529, a timeout
 * after the request was sent count as failures); connection failures, 429s and cancelled calls are
 * not recorded at all. After {@code reset-timeout} it lets one trial call through (half-open), which
 * closes it again (with an empty window) or reopens it.
 *
 * <p>The window is a ring of {@code BUCKETS} buckets of {@code window / BUCKETS} each, so memory and
 * time per call are constant; a bucket's counts leave the window all at once when it is reused.
 * Not thread-safe: it lives in the gateway actor.
 */
public final class CircuitBreaker {
  static final int BUCKETS = 10;

  private final ResilienceSettings.BreakerSettings settings;
  private final long bucketNanos;
  private final long[] bucketStart = new long[BUCKETS]; // the start of the period each bucket counts now
  private final int[] calls = new int[BUCKETS];
  private final int[] failures = new int[BUCKETS];
  private boolean anyRecorded;
  private BreakerState state = BreakerState.CLOSED;
  private long openedAt;
  private boolean trialInFlight;

  public CircuitBreaker(ResilienceSettings.BreakerSettings settings) {
    this.settings = settings;
    this.bucketNanos = Math.max(1, settings.window().toNanos() / BUCKETS);
  }

  /** The state now; an open breaker whose reset time passed reads as half-open. */
  public BreakerState state(long nowNanos) {
    if (state == BreakerState.OPEN && nowNanos - openedAt >= settings.resetTimeout().toNanos()) {
      state = BreakerState.HALF_OPEN;
      trialInFlight = false;
    }
    return state;
  }

  /** Whether a call may go now; in half-open state only one trial call at a time. */
  public boolean tryAcquire(long nowNanos) {
    if (!settings.enabled()) {
      return true;
    }
    return switch (state(nowNanos)) {
      case CLOSED -> true;
      case OPEN -> false;
      case HALF_OPEN -> {
        if (trialInFlight) yield false;
        trialInFlight = true;
        yield true;
      }
    };
  }

  /** Nanoseconds until an open breaker lets a trial through. */
  public long nanosUntilHalfOpen(long nowNanos) {
    return state(nowNanos) == BreakerState.OPEN ? settings.resetTimeout().toNanos() - (nowNanos - openedAt) : 0;
  }

  /** The provider answered. */
  public void onSuccess(long nowNanos) {
    if (!settings.enabled()) return;
    if (state(nowNanos) == BreakerState.HALF_OPEN) {
      close();
      return;
    }
    record(nowNanos, false);
  }

  /** The provider failed: a 5xx, a 529, or a timeout after the request was sent. */
  public void onFailure(long nowNanos) {
    if (!settings.enabled()) return;
    if (state(nowNanos) == BreakerState.HALF_OPEN) {
      open(nowNanos);
      return;
    }
    if (state == BreakerState.OPEN) return;
    record(nowNanos, true);
    if (rateTripped(nowNanos)) {
      open(nowNanos);
    }
  }

  /** A trial call that ended without a verdict (cancelled, or a failure that says nothing about health). */
  public void onNeutral() {
    trialInFlight = false;
  }

  /** Calls answered within the window that ends now. */
  public int callsInWindow(long nowNanos) {
    return sum(calls, nowNanos);
  }

  /** Of which failed. */
  public int failuresInWindow(long nowNanos) {
    return sum(failures, nowNanos);
  }

  private boolean rateTripped(long nowNanos) {
    double rate = settings.failureRate();
    if (rate <= 0 || rate > 1) {
      return false;
    }
    int n = callsInWindow(nowNanos);
    return n >= settings.minimumCalls() && failuresInWindow(nowNanos) >= rate * n;
  }

  private int sum(int[] counts, long nowNanos) {
    if (!anyRecorded) {
      return 0;
    }
    long current = Math.floorDiv(nowNanos, bucketNanos);
    int total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      long period = Math.floorDiv(bucketStart[i], bucketNanos);
      if (current - period < BUCKETS && period <= current) { // the bucket counts a period still in the window
        total += counts[i];
      }
    }
    return total;
  }

  private void record(long nowNanos, boolean failure) {
    long period = Math.floorDiv(nowNanos, bucketNanos);
    int i = (int) Math.floorMod(period, (long) BUCKETS);
    if (!anyRecorded || Math.floorDiv(bucketStart[i], bucketNanos) != period) {
      bucketStart[i] = period * bucketNanos;
      calls[i] = 0;
      failures[i] = 0;
    }
    anyRecorded = true;
    calls[i]++;
    if (failure) {
      failures[i]++;
    }
  }

  private void open(long nowNanos) {
    state = BreakerState.OPEN;
    openedAt = nowNanos;
    trialInFlight = false;
  }

  private void close() {
    state = BreakerState.CLOSED;
    java.util.Arrays.fill(calls, 0);
    java.util.Arrays.fill(failures, 0);
    anyRecorded = false;
    trialInFlight = false;
  }
}
