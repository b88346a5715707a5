package io.troupe.core.quota;

import java.util.HashMap;
import java.util.Map;

/**
 * The cluster's buckets, one request bucket and one token bucket per provider, one rate bucket per
 * other pool (a tenant's requests at the ingress), and the arithmetic of leasing them out. A grant takes its permits out of the buckets at once, so the permits granted to
 * all nodes together over any interval never exceed what one bucket of that size admits: its
 * capacity plus its refill. A lease a node does not spend is simply lost (it lapses on the node).
 * Not thread-safe: it lives in {@link QuotaCoordinator}.
 */
public final class GlobalQuota {

  /** What a node got: permits, or none and how long until the buckets could grant its minimum. */
  public record Grant(long requests, long tokens, long retryAfterNanos) {
    public boolean granted() {
      return retryAfterNanos == 0;
    }
  }

  private static final long MIN_RETRY_NANOS = 1_000_000L; // 1 ms

  private static final class Pool {
    TokenBucket requests;
    TokenBucket tokens;
  }

  private final Map<String, Pool> pools = new HashMap<>();

  /**
   * Grants up to {@code wantRequests} requests and {@code wantTokens} tokens of {@code provider},
   * whose limits per minute the asking node states (0: that dimension is not limited, and is granted
   * as asked). Only a grant of at least one request and at least {@code minTokens} tokens (capped at
   * the bucket's size) is made; otherwise nothing is taken and the answer says when to ask again.
   */
  public Grant grant(
      String provider, long requestsPerMinute, long tokensPerMinute, long wantRequests, long wantTokens,
      long minTokens, long nowNanos) {
    Pool pool = pools.computeIfAbsent(provider, p -> new Pool());
    pool.requests = sized(pool.requests, requestsPerMinute, nowNanos);
    pool.tokens = sized(pool.tokens, tokensPerMinute, nowNanos);

    boolean enough = true;
    long retry = 0;
    long requests = Math.max(1, wantRequests);
    if (pool.requests != null) {
      requests = Math.min(requests, (long) Math.floor(pool.requests.available(nowNanos)));
      if (requests < 1) {
        enough = false;
        retry = Math.max(retry, pool.requests.nanosUntil(1, nowNanos));
      }
    }
    long tokens = Math.max(0, wantTokens);
    if (pool.tokens != null) {
      long capacity = (long) pool.tokens.capacity();
      long need = Math.min(Math.max(1, minTokens), capacity);
      tokens = Math.min(Math.max(tokens, need), capacity);
      tokens = Math.min(tokens, (long) Math.floor(pool.tokens.available(nowNanos)));
      if (tokens < need) {
        enough = false;
        retry = Math.max(retry, pool.tokens.nanosUntil(need, nowNanos));
      }
    }
    if (!enough) {
      return new Grant(0, 0, Math.max(MIN_RETRY_NANOS, retry));
    }
    if (pool.requests != null) pool.requests.take(requests, nowNanos);
    if (pool.tokens != null) pool.tokens.take(tokens, nowNanos);
    return new Grant(requests, tokens, 0);
  }

  /** A bucket of {@code burst} permits that refills at {@code perSecond}, e.g. a tenant's requests. */
  private static final class RateBucket {
    double perNano;
    double capacity;
    double permits;
    long refilledAt;

    RateBucket(double perSecond, long burst, long nowNanos) {
      resize(perSecond, burst);
      this.permits = capacity;
      this.refilledAt = nowNanos;
    }

    void resize(double perSecond, long burst) {
      this.perNano = perSecond / 1e9;
      this.capacity = Math.max(1, burst);
      this.permits = Math.min(permits, capacity);
    }

    void refill(long nowNanos) {
      if (nowNanos > refilledAt) {
        permits = Math.min(capacity, permits + (nowNanos - refilledAt) * perNano);
        refilledAt = nowNanos;
      }
    }
  }

  private final Map<String, RateBucket> rates = new HashMap<>();

  /**
   * Grants up to {@code want} permits of the rate pool {@code key} ({@code perSecond}, at most
   * {@code burst} saved up; the asking node states them, the latest statement wins), at least one,
   * or none and when one will be there.
   */
  public Grant grantRate(String key, double perSecond, long burst, long want, long nowNanos) {
    RateBucket bucket = rates.get(key);
    if (bucket == null) {
      bucket = new RateBucket(perSecond, burst, nowNanos);
      rates.put(key, bucket);
    } else if (bucket.capacity != Math.max(1, burst) || bucket.perNano != perSecond / 1e9) {
      bucket.refill(nowNanos);
      bucket.resize(perSecond, burst);
    }
    bucket.refill(nowNanos);
    long granted = Math.min(Math.max(1, want), (long) Math.floor(bucket.permits));
    if (granted < 1) {
      long wait = bucket.perNano <= 0 ? Long.MAX_VALUE / 4 : (long) Math.ceil((1 - bucket.permits) / bucket.perNano);
      return new Grant(0, 0, Math.max(MIN_RETRY_NANOS, wait));
    }
    bucket.permits -= granted;
    return new Grant(granted, 0, 0);
  }

  /** What the request bucket of {@code provider} holds now (for tests and diagnostics); -1 if unlimited. */
  public double availableRequests(String provider, long nowNanos) {
    Pool pool = pools.get(provider);
    return pool == null || pool.requests == null ? -1 : pool.requests.available(nowNanos);
  }

  /** What the token bucket of {@code provider} holds now; -1 if unlimited. */
  public double availableTokens(String provider, long nowNanos) {
    Pool pool = pools.get(provider);
    return pool == null || pool.tokens == null ? -1 : pool.tokens.available(nowNanos);
  }

  /**
   * The bucket for a limit: created full on first use; a changed limit (a node with a newer
   * config) resizes it, and never lets it hold more than the new size.
   */
  private static TokenBucket sized(TokenBucket bucket, long perMinute, long nowNanos) {
    if (perMinute <= 0) {
      return bucket; // this node does not limit it; keep what the others configured
    }
    if (bucket == null) {
      return new TokenBucket(perMinute, nowNanos);
    }
    if ((long) bucket.capacity() != perMinute) {
      bucket.adapt(perMinute, null, null, nowNanos);
    }
    return bucket;
  }
}
