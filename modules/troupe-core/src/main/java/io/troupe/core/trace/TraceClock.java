package io.troupe.core.trace;

import java.time.Instant;

/** Wall-clock epoch nanoseconds with the resolution of System.nanoTime, for span timestamps. */
public final class TraceClock {
  private static final long BASE_EPOCH_NANOS;
  private static final long BASE_NANO_TIME;

  static {
    Instant now = Instant.now();
    BASE_NANO_TIME = System.nanoTime();
    BASE_EPOCH_NANOS = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private TraceClock() {}

  public static long nowEpochNanos() {
    return BASE_EPOCH_NANOS + (System.nanoTime() - BASE_NANO_TIME);
  }

  public static Instant toInstant(long epochNanos) {
    return Instant.ofEpochSecond(epochNanos / 1_000_000_000L, epochNanos % 1_000_000_000L);
  }

  public static String iso(long epochNanos) {
    return epochNanos == 0 ? null : toInstant(epochNanos).toString();
  }
}
