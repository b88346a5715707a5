package io.troupe.llm.quota;

import io.troupe.core.quota.GlobalQuota;
import io.troupe.core.quota.LocalLeases;
import io.troupe.core.quota.QuotaCoordinator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.llm.resilience.ResilienceSettings;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The arithmetic of the cluster quota, on an injected clock: the coordinator's buckets and a node's leases. */
@ExtendWith(TestKitJUnit5Extension.class)
class QuotaLeaseTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final long SECOND = 1_000_000_000L;
  private static final long T0 = 5 * SECOND;

  @Test
  void grantsBatchesUntilTheBucketIsEmptyAndNeverMore() {
    GlobalQuota quota = new GlobalQuota();
    long granted = 0;
    for (int i = 0; i < 7; i++) { // 7 batches of 5 asked, 30 in the bucket
      GlobalQuota.Grant g = quota.grant("p", 30, 0, 5, 0, 0, T0);
      if (i < 6) {
        assertTrue(g.granted());
        assertEquals(5, g.requests());
      } else {
        assertFalse(g.granted());
        assertEquals(0, g.requests());
        assertEquals(2 * SECOND, g.retryAfterNanos()); // one request refills in 60 s / 30
      }
      granted += g.requests();
    }
    assertEquals(30, granted);
    assertEquals(0.0, quota.availableRequests("p", T0), 1e-9);
  }

  @Test
  void aPartialBatchIsGrantedButNoLessThanOneRequest() {
    GlobalQuota quota = new GlobalQuota();
    assertEquals(8, quota.grant("p", 10, 0, 8, 0, 0, T0).requests());
    assertEquals(2, quota.grant("p", 10, 0, 8, 0, 0, T0).requests()); // what is left
    assertFalse(quota.grant("p", 10, 0, 8, 0, 0, T0).granted());
    // 60 s / 10 = 6 s per request: after 5.9 s still nothing, after 6 s one.
    assertFalse(quota.grant("p", 10, 0, 8, 0, 0, T0 + 5_900_000_000L).granted());
    GlobalQuota.Grant one = quota.grant("p", 10, 0, 8, 0, 0, T0 + 6 * SECOND);
    assertTrue(one.granted());
    assertEquals(1, one.requests());
  }

  @Test
  void refillsContinuouslyAndNeverAboveCapacity() {
    GlobalQuota quota = new GlobalQuota();
    assertEquals(60, quota.grant("p", 60, 0, 100, 0, 0, T0).requests()); // the whole bucket
    assertEquals(30, quota.grant("p", 60, 0, 100, 0, 0, T0 + 30 * SECOND).requests()); // half a minute refills half
    // An idle hour refills it to its size, not beyond.
    assertEquals(60, quota.grant("p", 60, 0, 100, 0, 0, T0 + 3630 * SECOND).requests());
  }

  @Test
  void threeNodesTogetherGetNoMoreThanOneBucketAdmits() {
    GlobalQuota quota = new GlobalQuota();
    long rpm = 30;
    long granted = 0;
    long now = T0;
    // Every node asks every 100 ms for 3 requests, for two simulated minutes.
    for (int tick = 0; tick < 1200; tick++) {
      now += 100_000_000L;
      for (int node = 0; node < 3; node++) {
        granted += quota.grant("p", rpm, 0, 3, 0, 0, now).requests();
      }
      long elapsed = now - T0;
      long bound = rpm + (long) Math.floor(elapsed * (rpm / 60e9));
      assertTrue(granted <= bound, "granted " + granted + " > " + bound + " after " + elapsed + " ns");
    }
    assertTrue(granted >= 89, "the bucket was used: " + granted); // 30 + 2 minutes of refill
  }

  @Test
  void tokensAreGrantedOnlyWithTheMinimumTheWaitingCallNeeds() {
    GlobalQuota quota = new GlobalQuota();
    GlobalQuota.Grant first = quota.grant("p", 0, 6000, 1, 4000, 1, T0);
    assertTrue(first.granted());
    assertEquals(4000, first.tokens());
    assertEquals(1, first.requests()); // requests are not limited: granted as asked
    // 2000 left; a call that needs 3000 gets nothing (no partial grant it could not use) ...
    GlobalQuota.Grant refused = quota.grant("p", 0, 6000, 1, 4000, 3000, T0);
    assertFalse(refused.granted());
    assertEquals(10 * SECOND, refused.retryAfterNanos()); // 1000 more at 100 per second
    assertEquals(2000.0, quota.availableTokens("p", T0), 1e-6);
    // ... and a prefetch gets what is there.
    assertEquals(2000, quota.grant("p", 0, 6000, 1, 4000, 1, T0).tokens());
    // A call larger than the whole bucket needs a full bucket, not more.
    GlobalQuota.Grant huge = quota.grant("p", 0, 6000, 1, 4000, 50_000, T0 + 60 * SECOND);
    assertTrue(huge.granted());
    assertEquals(6000, huge.tokens());
  }

  @Test
  void aSmallerLimitShrinksTheBucket() {
    GlobalQuota quota = new GlobalQuota();
    assertEquals(5, quota.grant("p", 100, 0, 5, 0, 0, T0).requests());
    assertEquals(10, quota.grant("p", 10, 0, 50, 0, 0, T0).requests()); // the new size caps what is left
    assertFalse(quota.grant("p", 10, 0, 50, 0, 0, T0).granted());
  }

  @Test
  void aNodeSpendsItsLeaseAndAsksForMoreAtHalf() {
    LocalLeases leases = new LocalLeases(4, 0);
    assertTrue(leases.low(T0));
    assertFalse(leases.tryTake(0, T0));
    leases.add(4, 0, T0 + 10 * SECOND, T0);
    assertFalse(leases.low(T0));
    assertTrue(leases.tryTake(0, T0));
    assertFalse(leases.low(T0)); // 3 left
    assertTrue(leases.tryTake(0, T0));
    assertTrue(leases.low(T0)); // 2 left: half a batch
    assertTrue(leases.tryTake(0, T0));
    assertTrue(leases.tryTake(0, T0));
    assertFalse(leases.tryTake(0, T0));
    assertEquals(0, leases.requests(T0));
  }

  @Test
  void unspentPermitsLapseWithTheirLease() {
    LocalLeases leases = new LocalLeases(5, 0);
    leases.add(5, 0, T0 + 10 * SECOND, T0);
    leases.add(5, 0, T0 + 14 * SECOND, T0 + 4 * SECOND);
    assertEquals(10, leases.requests(T0 + 4 * SECOND));
    assertEquals(5, leases.requests(T0 + 10 * SECOND)); // the first batch lapsed
    assertTrue(leases.tryTake(0, T0 + 13 * SECOND));
    assertEquals(4, leases.requests(T0 + 13 * SECOND));
    assertEquals(0, leases.requests(T0 + 14 * SECOND));
    assertFalse(leases.tryTake(0, T0 + 14 * SECOND));
  }

  @Test
  void tokensReservedAreSettledAndOverrunsArePaidFromTheNextLease() {
    LocalLeases leases = new LocalLeases(10, 1000);
    leases.add(10, 1000, T0 + 10 * SECOND, T0);
    assertTrue(leases.tryTake(600, T0));
    assertEquals(400, leases.tokens(T0));
    assertFalse(leases.tryTake(600, T0)); // both or nothing
    assertEquals(9, leases.requests(T0));

    leases.settle(-100, T0); // it used 500: 100 come back
    assertEquals(500, leases.tokens(T0));
    leases.settle(800, T0); // another used 800 more than reserved: 500 from what is left, 300 owed
    assertEquals(0, leases.tokens(T0));
    assertEquals(300, leases.tokenDebt());
    assertFalse(leases.tryTake(1, T0));
    leases.settle(-100, T0); // a call that used less pays the debt before anything comes back
    assertEquals(200, leases.tokenDebt());
    assertEquals(0, leases.tokens(T0));

    leases.add(5, 1000, T0 + 20 * SECOND, T0);
    assertEquals(0, leases.tokenDebt());
    assertEquals(800, leases.tokens(T0)); // the new lease paid the debt first
  }

  @Test
  void theScopeIsClusterOnlyOnAClusterWithAStaticLimitAndCanBeSetPerProvider() {
    com.typesafe.config.Config resilience = com.typesafe.config.ConfigFactory.parseString("""
            providers.limited { rate-limit { requests-per-minute = 100, lease-requests = 7, lease-ttl = 5s } }
            providers.mine { rate-limit { requests-per-minute = 100, scope = node } }
            """)
        .withFallback(com.typesafe.config.ConfigFactory.load().getConfig("troupe.llm.resilience"));
    ResilienceSettings.RateLimitSettings limited = ResilienceSettings.of(resilience, "limited", null).rateLimit();
    assertEquals(ResilienceSettings.Scope.AUTO, limited.scope());
    assertEquals(7, limited.leaseRequests());
    assertEquals(Duration.ofSeconds(5), limited.leaseTtl());
    assertEquals(ResilienceSettings.Scope.CLUSTER, ResilienceSettings.effectiveScope(limited, true));
    assertEquals(ResilienceSettings.Scope.NODE, ResilienceSettings.effectiveScope(limited, false));

    ResilienceSettings.RateLimitSettings mine = ResilienceSettings.of(resilience, "mine", null).rateLimit();
    assertEquals(ResilienceSettings.Scope.NODE, ResilienceSettings.effectiveScope(mine, true));

    ResilienceSettings.RateLimitSettings unlimited = ResilienceSettings.of(resilience, "other", null).rateLimit();
    assertEquals(ResilienceSettings.Scope.NODE, ResilienceSettings.effectiveScope(unlimited, true)); // no coordinator
  }

  @Test
  void theCoordinatorAnswersLeasesFromItsBuckets() {
    AtomicLong nanos = new AtomicLong(T0);
    ActorRef<QuotaCoordinator.Command> coordinator = testKit.spawn(QuotaCoordinator.create(nanos::get));
    TestProbe<QuotaCoordinator.Lease> probe = testKit.createTestProbe();
    for (int i = 0; i < 3; i++) {
      coordinator.tell(new QuotaCoordinator.RequestLease("p", 12, 0, 4, 0, 0, probe.ref()));
      assertEquals(new QuotaCoordinator.Lease("p", 4, 0, 0), probe.receiveMessage());
    }
    coordinator.tell(new QuotaCoordinator.RequestLease("p", 12, 0, 4, 0, 0, probe.ref()));
    QuotaCoordinator.Lease refused = probe.receiveMessage();
    assertFalse(refused.granted());
    assertEquals(5000, refused.retryAfterMillis()); // 60 s / 12

    nanos.addAndGet(Duration.ofSeconds(10).toNanos()); // two requests refilled
    coordinator.tell(new QuotaCoordinator.RequestLease("p", 12, 0, 4, 0, 0, probe.ref()));
    assertEquals(new QuotaCoordinator.Lease("p", 2, 0, 0), probe.receiveMessage());
  }
}
