package io.troupe.llm.resilience;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import java.time.Duration;

/**
 * The resilience settings ({@code troupe.llm.resilience}) that apply to one provider, or to one
 * provider and model: the defaults, overridden by {@code providers."<provider>"}, and for the
 * retry and circuit-breaker blocks also by {@code models."<model>"}.
 */
public record ResilienceSettings(
    BulkheadSettings bulkhead, RateLimitSettings rateLimit, RetrySettings retry, BreakerSettings breaker,
    PacingSettings pacing) {

  /** Without connection pacing (as before it existed). */
  public ResilienceSettings(
      BulkheadSettings bulkhead, RateLimitSettings rateLimit, RetrySettings retry, BreakerSettings breaker) {
    this(bulkhead, rateLimit, retry, breaker, PacingSettings.OFF);
  }

  /** Calls in flight per provider, and calls that may wait for a slot. */
  public record BulkheadSettings(int maxConcurrent, int maxQueued) {}

  /**
   * Per-provider token buckets; 0 leaves a bucket open until the provider's headers give a limit.
   * The static limits are either this node's alone ({@link Scope#NODE}) or shared by the whole
   * cluster ({@link Scope#CLUSTER}: leased in batches of {@code leaseRequests} and
   * {@code leaseTokens} from the quota coordinator, each lease good for {@code leaseTtl}).
   */
  public record RateLimitSettings(
      long requestsPerMinute, long tokensPerMinute, boolean adaptToHeaders, Duration maxWait, int charsPerToken,
      Scope scope, long leaseRequests, long leaseTokens, Duration leaseTtl, Duration leaseTimeout) {

    /** The settings with only the local limits, as before the cluster scope existed. */
    public RateLimitSettings(
        long requestsPerMinute, long tokensPerMinute, boolean adaptToHeaders, Duration maxWait, int charsPerToken) {
      this(requestsPerMinute, tokensPerMinute, adaptToHeaders, maxWait, charsPerToken, Scope.NODE, 1, 1,
          Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    /** A static limit is configured (requests, tokens or both). */
    public boolean hasStaticLimit() {
      return requestsPerMinute > 0 || tokensPerMinute > 0;
    }
  }

  /**
   * Whose static limit it is. {@code AUTO} (the default) is {@code CLUSTER} on a cluster node with a
   * static limit, else {@code NODE}; see {@link #effectiveScope}.
   */
  public enum Scope { AUTO, CLUSTER, NODE }

  /**
   * The scope that applies: {@code CLUSTER} only with a static limit and on an actor system whose
   * provider is {@code cluster}; everything else keeps the node-local buckets.
   */
  public static Scope effectiveScope(RateLimitSettings rateLimit, boolean clusterSystem) {
    if (!rateLimit.hasStaticLimit() || !clusterSystem || rateLimit.scope() == Scope.NODE) {
      return Scope.NODE;
    }
    return Scope.CLUSTER;
  }

  public record RetrySettings(
      int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter,
      Duration maxRetryAfter) {}

  /**
   * Opens when, within the sliding {@code window} of time, at least {@code minimumCalls} calls were
   * answered and {@code failureRate} of them failed; half-opens after {@code resetTimeout}.
   */
  public record BreakerSettings(
      boolean enabled, double failureRate, Duration window, int minimumCalls, Duration resetTimeout) {}

  /**
   * How fast a provider's calls may grow past the connections already open: a call that would need
   * a new connection takes a permit of a bucket of {@code newPerSecond} (up to {@code burst} at
   * once); calls beyond wait in line for the next permit. Connections unused for {@code forgetAfter}
   * count as closed. {@code newPerSecond} 0 turns pacing off.
   */
  public record PacingSettings(double newPerSecond, int burst, Duration forgetAfter) {
    public static final PacingSettings OFF = new PacingSettings(0, 1, Duration.ofSeconds(60));

    public boolean enabled() {
      return newPerSecond > 0;
    }
  }

  /** Settings of a provider (bulkhead and rate limits) with its model's retry and breaker blocks. */
  public static ResilienceSettings of(Config resilience, String provider, String model) {
    Config forProvider = section(resilience, "providers", provider).withFallback(resilience);
    Config forModel = model == null ? forProvider : section(resilience, "models", model).withFallback(forProvider);
    return new ResilienceSettings(bulkhead(forProvider), rateLimit(forProvider), retry(forModel), breaker(forModel),
        pacing(forProvider));
  }

  private static Config section(Config resilience, String section, String name) {
    String path = section + "." + ConfigUtil.joinPath(name);
    return resilience.hasPath(path) ? resilience.getConfig(path) : ConfigFactory.empty();
  }

  private static BulkheadSettings bulkhead(Config c) {
    return new BulkheadSettings(
        Math.max(1, c.getInt("bulkhead.max-concurrent")), Math.max(0, c.getInt("bulkhead.max-queued")));
  }

  private static RateLimitSettings rateLimit(Config c) {
    return new RateLimitSettings(
        Math.max(0, c.getLong("rate-limit.requests-per-minute")),
        Math.max(0, c.getLong("rate-limit.tokens-per-minute")),
        c.getBoolean("rate-limit.adapt-to-headers"),
        c.getDuration("rate-limit.max-wait"),
        Math.max(1, c.getInt("rate-limit.chars-per-token")),
        scope(c.getString("rate-limit.scope")),
        Math.max(1, c.getLong("rate-limit.lease-requests")),
        Math.max(1, c.getLong("rate-limit.lease-tokens")),
        positive(c.getDuration("rate-limit.lease-ttl"), Duration.ofSeconds(10)),
        positive(c.getDuration("rate-limit.lease-timeout"), Duration.ofSeconds(2)));
  }

  private static Scope scope(String value) {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "cluster" -> Scope.CLUSTER;
      case "node" -> Scope.NODE;
      case "auto", "" -> Scope.AUTO;
      default -> throw new com.typesafe.config.ConfigException.BadValue("rate-limit.scope",
          "expected auto, cluster or node, got '" + value + "'");
    };
  }

  private static Duration positive(Duration d, Duration otherwise) {
    return d.isZero() || d.isNegative() ? otherwise : d;
  }

  private static RetrySettings retry(Config c) {
    return new RetrySettings(
        Math.max(1, c.getInt("retry.max-attempts")),
        c.getDuration("retry.initial-backoff"),
        c.getDuration("retry.max-backoff"),
        Math.max(1.0, c.getDouble("retry.multiplier")),
        Math.min(1.0, Math.max(0.0, c.getDouble("retry.jitter"))),
        c.getDuration("retry.max-retry-after"));
  }

  private static BreakerSettings breaker(Config c) {
    return new BreakerSettings(
        c.getBoolean("circuit-breaker.enabled"),
        c.getDouble("circuit-breaker.failure-rate"),
        positive(c.getDuration("circuit-breaker.sliding-window"), Duration.ofSeconds(30)),
        Math.max(1, c.getInt("circuit-breaker.minimum-calls")),
        c.getDuration("circuit-breaker.reset-timeout"));
  }

  private static PacingSettings pacing(Config c) {
    if (!c.hasPath("connection-pacing")) {
      return PacingSettings.OFF;
    }
    return new PacingSettings(
        Math.max(0, c.getDouble("connection-pacing.new-per-second")),
        Math.max(1, c.getInt("connection-pacing.burst")),
        positive(c.getDuration("connection-pacing.forget-after"), Duration.ofSeconds(60)));
  }
}
