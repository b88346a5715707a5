package io.troupe.llm.resilience;

import io.troupe.core.llm.LlmGateway.BreakerState;

/**
 * A circuit breaker for one provider and model, on an explicit nanosecond clock. It opens after
 * {@code consecutive-failures} failures in a row, or when the failure rate over the last
 * {@code window} calls reaches {@code failure-rate} (with at least {@code minimum-calls} calls);
 * after {@code reset-timeout} it lets one trial call through (half-open), which closes it again or
 * reopens it. Not thread-safe: it lives in the gateway actor.
 */
public final class CircuitBreaker {
  private final ResilienceSettings.BreakerSettings settings;
  private final boolean[] outcomes; // ring of the last calls: true = failure
  private int recorded;
  private int next;
  private int consecutiveFailures;
  private BreakerState state = BreakerState.CLOSED;
  private long openedAt;
  private boolean trialInFlight;

  public CircuitBreaker(ResilienceSettings.BreakerSettings settings) {
    this.settings = settings;
    this.outcomes = new boolean[settings.window()];
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

  public void onSuccess(long nowNanos) {
    if (!settings.enabled()) return;
    if (state(nowNanos) == BreakerState.HALF_OPEN) {
      close();
      return;
    }
    consecutiveFailures = 0;
    record(false);
  }

  public void onFailure(long nowNanos) {
    if (!settings.enabled()) return;
    if (state(nowNanos) == BreakerState.HALF_OPEN) {
      open(nowNanos);
      return;
    }
    if (state == BreakerState.OPEN) return;
    consecutiveFailures++;
    record(true);
    if (consecutiveFailures >= settings.consecutiveFailures() || rateTripped()) {
      open(nowNanos);
    }
  }

  /** A trial call that ended without a verdict (cancelled, or a failure that says nothing about health). */
  public void onNeutral() {
    trialInFlight = false;
  }

  private boolean rateTripped() {
    if (settings.failureRate() <= 0 || settings.failureRate() > 1 || recorded < settings.minimumCalls()) {
      return false;
    }
    int n = Math.min(recorded, outcomes.length);
    int failures = 0;
    for (int i = 0; i < n; i++) {
      if (outcomes[i]) failures++;
    }
    return failures >= settings.failureRate() * n;
  }

  private void record(boolean failure) {
    outcomes[next] = failure;
    next = (next + 1) % outcomes.length;
    recorded++;
  }

  private void open(long nowNanos) {
    state = BreakerState.OPEN;
    openedAt = nowNanos;
    trialInFlight = false;
  }

  private void close() {
    state = BreakerState.CLOSED;
    consecutiveFailures = 0;
    recorded = 0;
    next = 0;
    trialInFlight = false;
  }
}
