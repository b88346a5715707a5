package io.troupe.http.limits;

import io.troupe.core.actor.Asks;
import io.troupe.core.quota.QuotaCoordinator;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;


/**
 * A tenant's rate limit held cluster-wide ({@code troupe.http.limits.scope = cluster}): one bucket
 * per tenant in the cluster's quota coordinator, the singleton that also holds the LLM quota. Each
 * node leases permits in small batches, spends them on its requests without a round trip, and asks
 * for the next batch when half of one is left. Leased permits it does not spend lapse after
 * {@code leaseTtl}.
 *
 * <p>What it guarantees: the cluster admits at most {@code burst + perSecond × t} requests of a
 * tenant over any {@code t} (plus one burst each time the coordinator moves to another node, which
 * starts with full buckets). It may admit less: up to one batch per node sits leased but unspent
 * for at most {@code leaseTtl}. While the coordinator does not answer, each node falls back to its
 * own bucket of the full rate (availability over precision), and says so in a log line.
 */
public final class ClusterTenantLimiter implements TenantLimiter {
  private static final CompletionStage<Long> PASS = CompletableFuture.completedFuture(0L);

  private final ActorRef<QuotaCoordinator.Command> coordinator;
  private final Scheduler scheduler;
  private final LongSupplier clock;
  private final double perSecond;
  private final long burst;
  private final long batch;
  private final long leaseTtlNanos;
  private final Duration askTimeout;
  private final TenantRateLimiter fallback;
  private final Runnable onFallback;
  private final Map<String, Permits> tenants = new ConcurrentHashMap<>();

  /** One tenant's leased permits on this node. */
  private static final class Permits {
    long available;
    long expiresAt;
    long refusedUntil;
    long coordinatorDownUntil;
    CompletableFuture<Void> refill; // the lease asked for, while it is out
  }

  public ClusterTenantLimiter(ActorRef<QuotaCoordinator.Command> coordinator, Scheduler scheduler, LongSupplier clock,
      double perSecond, int burst, Duration leaseTtl, Duration askTimeout, Runnable onFallback) {
    this.coordinator = coordinator;
    this.scheduler = scheduler;
    this.clock = clock;
    this.perSecond = perSecond;
    this.burst = Math.max(1, burst);
    this.batch = batchSize(perSecond, this.burst);
    this.leaseTtlNanos = leaseTtl.toNanos();
    this.askTimeout = askTimeout;
    this.fallback = new TenantRateLimiter(perSecond, burst, clock);
    this.onFallback = onFallback;
  }

  /** A fifth of a second's worth, at most half the burst, at least one. */
  static long batchSize(double perSecond, long burst) {
    return Math.max(1, Math.min(Math.max(1, burst / 2), (long) Math.ceil(perSecond / 5)));
  }

  public long batch() {
    return batch;
  }

  @Override
  public CompletionStage<Long> acquire(String tenant) {
    Permits p = tenants.computeIfAbsent(tenant, t -> new Permits());
    CompletableFuture<Void> waitFor;
    synchronized (p) {
      long now = clock.getAsLong();
      if (now < p.coordinatorDownUntil) return fallback.acquire(tenant);
      if (p.expiresAt <= now) p.available = 0;
      if (p.available > 0) {
        p.available--;
        if (p.available * 2 < batch) refill(tenant, p); // the next batch, before this one runs out
        return PASS;
      }
      if (now < p.refusedUntil) return CompletableFuture.completedFuture(p.refusedUntil - now);
      waitFor = refill(tenant, p);
    }
    // No permit here: wait for the lease that is out, then try once.
    return waitFor.thenApply(done -> {
      synchronized (p) {
        long now = clock.getAsLong();
        if (now < p.coordinatorDownUntil) return fallback.tryAcquire(tenant);
        if (p.expiresAt > now && p.available > 0) {
          p.available--;
          return 0L;
        }
        return Math.max(1_000_000L, p.refusedUntil - now);
      }
    });
  }

  /** The lease out for this tenant, asked for now if none is. Called holding {@code p}. */
  private CompletableFuture<Void> refill(String tenant, Permits p) {
    if (p.refill != null) return p.refill;
    CompletableFuture<Void> refill = new CompletableFuture<>();
    p.refill = refill;
    Asks.<QuotaCoordinator.Command, QuotaCoordinator.Lease>ask(coordinator,
        replyTo -> new QuotaCoordinator.RequestRateLease("tenant:" + tenant, perSecond, burst, batch, replyTo),
        askTimeout, scheduler)
        .whenComplete((lease, failure) -> {
          synchronized (p) {
            long now = clock.getAsLong();
            if (failure != null) {
              if (now >= p.coordinatorDownUntil) onFallback.run();
              p.coordinatorDownUntil = now + 5_000_000_000L; // ask again in 5 s
            } else if (lease.granted()) {
              if (p.expiresAt <= now) p.available = 0;
              p.available += lease.requests();
              p.expiresAt = now + leaseTtlNanos;
            } else {
              p.refusedUntil = now + lease.retryAfterMillis() * 1_000_000L;
            }
            p.refill = null;
          }
          refill.complete(null);
        });
    return refill;
  }
}
