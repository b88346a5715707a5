package io.troupe.http.limits;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per tenant: {@code requestsPerSecond} tokens a second, at most {@code burst}
 * (at least one) saved up. Node-local: on a cluster each node keeps its own buckets, so a tenant
 * may send up to the limit to every node. The tenants are those of the configured keys (or the
 * one implicit tenant), so the map stays small.
 */
public final class TenantRateLimiter implements TenantLimiter {
  private static final CompletionStage<Long> PASS = CompletableFuture.completedFuture(0L);

  private final double perNano;
  private final double capacity;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  public TenantRateLimiter(double requestsPerSecond, int burst, LongSupplier nanoClock) {
    this.perNano = requestsPerSecond / 1e9;
    this.capacity = Math.max(1, burst);
    this.nanoClock = nanoClock;
  }

  @Override
  public CompletionStage<Long> acquire(String tenant) {
    long wait = tryAcquire(tenant);
    return wait == 0 ? PASS : CompletableFuture.completedFuture(wait);
  }

  /** 0 when a request of {@code tenant} may pass now, else the nanoseconds until one may. */
  public long tryAcquire(String tenant) {
    return buckets.computeIfAbsent(tenant, t -> new Bucket(capacity, nanoClock.getAsLong())).take(nanoClock.getAsLong());
  }

  private final class Bucket {
    private double tokens;
    private long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }

    synchronized long take(long now) {
      if (now > refilledAt) {
        tokens = Math.min(capacity, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
      }
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / perNano);
    }
  }
}
