package io.troupe.core.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GlobalQuotaRateTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aRatePoolGrantsItsBurstThenItsRateAndSaysWhenToAskAgain() {
    GlobalQuota quota = new GlobalQuota();
    assertEquals(4, quota.grantRate("tenant:a", 10, 10, 4, 0).requests());
    assertEquals(6, quota.grantRate("tenant:a", 10, 10, 100, 0).requests(), "no more than the burst left");
    GlobalQuota.Grant none = quota.grantRate("tenant:a", 10, 10, 1, 0);
    assertFalse(none.granted());
    assertEquals(SECOND / 10, none.retryAfterNanos(), "one permit comes back after a tenth of a second");
    assertEquals(5, quota.grantRate("tenant:a", 10, 10, 100, SECOND / 2).requests(), "half a second refills five");
    assertTrue(quota.grantRate("tenant:b", 10, 10, 1, SECOND / 2).granted(), "each tenant has its own bucket");
  }

  @Test
  void aSmallerStatedBurstShrinksTheBucket() {
    GlobalQuota quota = new GlobalQuota();
    quota.grantRate("tenant:a", 10, 100, 1, 0);
    assertEquals(5, quota.grantRate("tenant:a", 10, 5, 100, 0).requests());
  }
}
