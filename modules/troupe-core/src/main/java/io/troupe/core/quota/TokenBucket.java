package io.troupe.core.quota;

/**
 * A per-minute token bucket on an explicit nanosecond clock. A capacity of 0 means "no limit known":
 * the bucket lets everything through until the provider's headers give it one. Not thread-safe: it
 * lives in the gateway actor.
 */
public final class TokenBucket {
  private static final double NANOS_PER_MINUTE = 60e9;

  private double capacity;
  private double tokens;
  private long lastRefill;
  private long blockedUntil; // the provider said "none left until then"
  private boolean blocked;

  public TokenBucket(long perMinute, long nowNanos) {
    this.capacity = perMinute;
    this.tokens = perMinute;
    this.lastRefill = nowNanos;
  }

  public boolean limited() {
    return capacity > 0 || blocked;
  }

  /** Nanoseconds until {@code amount} tokens are there (0: now). A request larger than the bucket waits for a full one. */
  public long nanosUntil(long amount, long nowNanos) {
    refill(nowNanos);
    long unblock = blocked ? Math.max(0, blockedUntil - nowNanos) : 0;
    if (capacity <= 0) {
      return unblock;
    }
    double needed = Math.min(amount, capacity);
    if (tokens >= needed) {
      return unblock;
    }
    double perNano = capacity / NANOS_PER_MINUTE;
    return Math.max(unblock, (long) Math.ceil((needed - tokens) / perNano));
  }

  public void take(long amount, long nowNanos) {
    refill(nowNanos);
    if (capacity > 0) tokens -= amount;
  }

  /** Corrects an estimate once the real amount is known (positive: more was used). */
  public void adjust(long extra, long nowNanos) {
    refill(nowNanos);
    if (capacity > 0) tokens = Math.min(capacity, tokens - extra);
  }

  /**
   * Adopts what the provider reported: its limit per minute, what remains, and when it resets
   * (each may be null).
   */
  public void adapt(Long limit, Long remaining, java.time.Duration reset, long nowNanos) {
    refill(nowNanos);
    if (limit != null && limit > 0) {
      capacity = limit;
      tokens = Math.min(tokens, capacity);
    }
    if (remaining != null) {
      if (capacity > 0) tokens = Math.min(Math.max(remaining, 0), capacity);
      if (remaining <= 0 && reset != null) {
        blocked = true;
        blockedUntil = nowNanos + reset.toNanos();
      }
    }
  }

  /** Empties the bucket until {@code nowNanos + delay} (e.g. after a 429 with Retry-After). */
  public void blockFor(java.time.Duration delay, long nowNanos) {
    long until = nowNanos + delay.toNanos();
    if (!blocked || until > blockedUntil) {
      blocked = true;
      blockedUntil = until;
    }
  }

  public double capacity() {
    return capacity;
  }

  public double available(long nowNanos) {
    refill(nowNanos);
    return tokens;
  }

  private void refill(long nowNanos) {
    if (blocked && nowNanos >= blockedUntil) {
      blocked = false;
    }
    long elapsed = nowNanos - lastRefill;
    if (elapsed > 0) {
      if (capacity > 0) tokens = Math.min(capacity, tokens + elapsed * (capacity / NANOS_PER_MINUTE));
      lastRefill = nowNanos;
    }
  }
}
