package io.troupe.http.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.quota.QuotaCoordinator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three nodes' ingresses share one quota coordinator, as a cluster's do: together they admit a
 * tenant's rate, not three times it, within the stated tolerance.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ClusterTenantLimiterTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(SECOND);

  private ClusterTenantLimiter node(ActorRef<QuotaCoordinator.Command> coordinator, Runnable onFallback) {
    return new ClusterTenantLimiter(coordinator, testKit.system().scheduler(), now::get, 20, 10, Duration.ofSeconds(1),
        Duration.ofMillis(500), onFallback);
  }

  private static long acquire(ClusterTenantLimiter limiter, String tenant) throws Exception {
    return limiter.acquire(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void threeNodesTogetherAdmitTheTenantsRateNotThreeTimesIt() throws Exception {
    ActorRef<QuotaCoordinator.Command> coordinator = testKit.spawn(QuotaCoordinator.create(now::get));
    List<ClusterTenantLimiter> nodes = List.of(node(coordinator, () -> { }), node(coordinator, () -> { }),
        node(coordinator, () -> { }));
    long batch = nodes.get(0).batch();
    assertEquals(4, batch, "a fifth of a second at 20/s");
    int admitted = 0;
    int seconds = 5;
    // 60 requests a second spread over the three nodes, each 1/60 s apart on the shared clock.
    for (int i = 0; i < 60 * seconds; i++) {
      if (acquire(nodes.get(i % 3), "acme") == 0) admitted++;
      now.addAndGet(SECOND / 60);
    }
    long ceiling = 10 + 20L * seconds; // the burst plus the rate over the run
    assertTrue(admitted <= ceiling + 3 * batch / 2, "admitted " + admitted + " over a ceiling of " + ceiling);
    assertTrue(admitted >= ceiling - 3 * batch, "admitted " + admitted + ": leases stranded more than the tolerance");
    assertTrue(admitted < 3 * 20 * seconds / 2, "node-local buckets would have admitted about " + 3 * (10 + 20 * seconds));
    assertEquals(0, acquire(nodes.get(0), "globex"), "another tenant has its own bucket");
  }

  @Test
  void aRefusedRequestSaysWhenToRetry() throws Exception {
    ActorRef<QuotaCoordinator.Command> coordinator = testKit.spawn(QuotaCoordinator.create(now::get));
    ClusterTenantLimiter node = node(coordinator, () -> { });
    int admitted = 0;
    long wait = 0;
    for (int i = 0; i < 20 && wait == 0; i++) {
      wait = acquire(node, "acme");
      if (wait == 0) admitted++;
    }
    assertEquals(10, admitted, "the burst, then a refusal");
    assertTrue(wait > 0 && wait <= SECOND, "retry within a second at 20/s: " + wait);
  }

  @Test
  void withoutAnAnsweringCoordinatorEachNodeFallsBackToItsOwnBucketAndSaysSo() throws Exception {
    TestProbe<QuotaCoordinator.Command> silent = testKit.createTestProbe();
    AtomicInteger fallbacks = new AtomicInteger();
    ClusterTenantLimiter node = node(silent.getRef(), fallbacks::incrementAndGet);
    assertEquals(0, acquire(node, "acme"), "the node's own bucket admits it");
    assertEquals(1, fallbacks.get());
    silent.expectMessageClass(QuotaCoordinator.RequestRateLease.class);
  }
}
