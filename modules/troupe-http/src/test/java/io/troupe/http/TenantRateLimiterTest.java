package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.http.limits.TenantRateLimiter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket against a clock the test moves. */
class TenantRateLimiterTest {
  static final long SECOND = 1_000_000_000L;

  @Test
  void aBurstPassesThenTheRateHoldsPerTenant() {
    AtomicLong now = new AtomicLong(5 * SECOND);
    TenantRateLimiter limiter = new TenantRateLimiter(2, 3, now::get);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, limiter.tryAcquire("acme"), "request " + i + " of the burst");
    }
    assertEquals(SECOND / 2, limiter.tryAcquire("acme"));
    assertEquals(0, limiter.tryAcquire("globex"), "another tenant has its own bucket");

    now.addAndGet(SECOND / 4);
    assertEquals(SECOND / 4, limiter.tryAcquire("acme"));
    now.addAndGet(SECOND / 4);
    assertEquals(0, limiter.tryAcquire("acme"));

    // A long pause refills at most the burst.
    now.addAndGet(60 * SECOND);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, limiter.tryAcquire("acme"));
    }
    assertEquals(SECOND / 2, limiter.tryAcquire("acme"));
  }

  @Test
  void aSlowRateWaitsSeconds() {
    AtomicLong now = new AtomicLong();
    TenantRateLimiter limiter = new TenantRateLimiter(0.1, 0, now::get);
    assertEquals(0, limiter.tryAcquire("t"));
    assertEquals(10 * SECOND, limiter.tryAcquire("t"));
  }
}
