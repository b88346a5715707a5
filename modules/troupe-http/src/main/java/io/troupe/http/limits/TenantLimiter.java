package io.troupe.http.limits;

import java.util.concurrent.CompletionStage;

/** The ingress's rate limit per tenant: node-local ({@link TenantRateLimiter}) or cluster-wide ({@link ClusterTenantLimiter}). */
public interface TenantLimiter {

  /** 0 when a request of {@code tenant} may pass, else the nanoseconds until one may. */
  CompletionStage<Long> acquire(String tenant);
}
