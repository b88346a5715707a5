package io.troupe.llm.resilience;

/**
 * Paces how fast one provider's calls in flight may grow past the connections its pool already
 * holds, so that a burst opens connections at a steady rate instead of thousands at once (which
 * overflows the provider's accept backlog and ends in connect timeouts and cancelled connections).
 *
 * <p>It tracks the calls in flight and the connections the pool is taken to hold ("warm": the most
 * calls in flight lately). A call that fits within the warm connections goes at once; one that
 * needs a new connection takes a permit of a token bucket of {@code newPerSecond}, up to
 * {@code burst} at once. The pool closes connections that stay idle, so once per
 * {@code forgetAfter} the warm count falls back to the most calls in flight during the last period.
 * On an explicit nanosecond clock; not thread-safe: it lives in the gateway actor.
 */
public final class ConnectionPacer {
  private final ResilienceSettings.PacingSettings settings;
  private final double permitsPerNano;
  private double permits;
  private long refilledAt;
  private int inFlight;
  private int warm;
  private int periodPeak;
  private long periodStart;

  public ConnectionPacer(ResilienceSettings.PacingSettings settings, long nowNanos) {
    this.settings = settings;
    this.permitsPerNano = settings.newPerSecond() / 1e9;
    this.permits = settings.burst();
    this.refilledAt = nowNanos;
    this.periodStart = nowNanos;
  }

  /** 0 when a call may be sent now; otherwise the nanoseconds until the next permit. */
  public long nanosUntilSend(long nowNanos) {
    if (!settings.enabled()) {
      return 0;
    }
    forget(nowNanos);
    if (inFlight < warm) {
      return 0;
    }
    refill(nowNanos);
    if (permits >= 1) {
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - permits) / permitsPerNano));
  }

  /** A call was sent: it takes a permit if it needs a new connection. */
  public void onSend(long nowNanos) {
    inFlight++;
    if (!settings.enabled()) {
      return;
    }
    forget(nowNanos);
    if (inFlight > warm) {
      refill(nowNanos);
      permits -= 1; // may go below 0 when a caller did not ask first: the next ones wait longer
      warm = inFlight;
    }
    periodPeak = Math.max(periodPeak, inFlight);
  }

  /** A call sent earlier is over (answered, failed, timed out or cancelled). */
  public void onDone() {
    if (inFlight > 0) {
      inFlight--;
    }
  }

  public int inFlight() {
    return inFlight;
  }

  /** The connections the pool is taken to hold. */
  public int warm() {
    return warm;
  }

  private void refill(long nowNanos) {
    if (nowNanos > refilledAt) {
      permits = Math.min(settings.burst(), permits + (nowNanos - refilledAt) * permitsPerNano);
      refilledAt = nowNanos;
    }
  }

  private void forget(long nowNanos) {
    long period = settings.forgetAfter().toNanos();
    if (nowNanos - periodStart >= period) {
      // A whole period without calls forgets everything; else what the last period needed stays warm.
      boolean idleSince = nowNanos - periodStart >= 2 * period;
      warm = Math.max(inFlight, idleSince ? 0 : periodPeak);
      periodPeak = inFlight;
      periodStart = nowNanos;
    }
  }
}
