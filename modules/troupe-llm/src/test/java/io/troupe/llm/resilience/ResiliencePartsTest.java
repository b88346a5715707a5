package io.troupe.llm.resilience;

import io.troupe.core.quota.TokenBucket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.llm.LlmGateway.BreakerState;
import io.troupe.core.llm.Usage;
import io.troupe.llm.http.RateLimitInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The resilience building blocks on their own, with an explicit clock. */
class ResiliencePartsTest {
  private static final long SECOND = 1_000_000_000L;

  private static Config resilience(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve()
        .getConfig("troupe.llm.resilience");
  }

  @Test
  void settingsHaveSaneDefaultsAndOverridesPerProviderAndModel() {
    Config c = resilience("troupe.llm.resilience {\n"
        + "providers.openai { bulkhead.max-concurrent = 8, retry.max-attempts = 2 }\n"
        + "models.\"gpt-4o\" { circuit-breaker.minimum-calls = 9 } }");
    ResilienceSettings defaults = ResilienceSettings.of(c, "anthropic", "claude");
    assertEquals(64, defaults.bulkhead().maxConcurrent());
    assertEquals(3, defaults.retry().maxAttempts());
    assertTrue(defaults.breaker().enabled());
    ResilienceSettings openai = ResilienceSettings.of(c, "openai", "gpt-4o");
    assertEquals(8, openai.bulkhead().maxConcurrent());
    assertEquals(2, openai.retry().maxAttempts());
    assertEquals(9, openai.breaker().minimumCalls());
    assertEquals(20, ResilienceSettings.of(c, "openai", "gpt-4o-mini").breaker().minimumCalls());
    assertEquals(Duration.ofSeconds(30), defaults.breaker().window());
    assertTrue(defaults.pacing().enabled());
    assertEquals(100000, ResilienceSettings.of(c, "local", null).bulkhead().maxConcurrent());
    assertFalse(ResilienceSettings.of(c, "local", null).pacing().enabled(), "the local planner opens no connections");
  }

  @Test
  void bulkheadAdmitsInOrder() {
    Bulkhead b = new Bulkhead(new ResilienceSettings.BulkheadSettings(1, 2));
    assertTrue(b.tryAcquire());
    assertFalse(b.tryAcquire());
    assertTrue(b.enqueue(1));
    assertTrue(b.enqueue(2));
    assertFalse(b.enqueue(3));
    assertEquals(OptionalLong.empty(), b.admitNext());
    b.release();
    assertEquals(OptionalLong.of(1), b.admitNext());
    assertTrue(b.removeQueued(2));
    b.release();
    assertEquals(OptionalLong.empty(), b.admitNext());
    assertEquals(0, b.active());
  }

  @Test
  void tokenBucketRefillsPerMinuteAndReconciles() {
    TokenBucket bucket = new TokenBucket(60, 0); // one a second
    assertEquals(0, bucket.nanosUntil(60, 0));
    bucket.take(60, 0);
    assertEquals(SECOND, bucket.nanosUntil(1, 0));
    assertEquals(0, bucket.nanosUntil(1, SECOND));
    bucket.adjust(10, SECOND); // used 10 more than estimated
    assertEquals(10 * SECOND, bucket.nanosUntil(1, SECOND));
    // a request larger than the bucket waits for a full bucket, not forever
    assertEquals(0, new TokenBucket(60, 0).nanosUntil(1000, 0));
  }

  @Test
  void anUnlimitedBucketLearnsFromHeaders() {
    TokenBucket bucket = new TokenBucket(0, 0);
    assertFalse(bucket.limited());
    bucket.take(1_000_000, 0);
    assertEquals(0, bucket.nanosUntil(1_000_000, 0));
    bucket.adapt(120L, 0L, Duration.ofSeconds(5), 0);
    assertTrue(bucket.limited());
    assertEquals(5 * SECOND, bucket.nanosUntil(1, 0));
    assertEquals(0, bucket.nanosUntil(1, 5 * SECOND));
    bucket.blockFor(Duration.ofSeconds(3), 5 * SECOND);
    assertEquals(3 * SECOND, bucket.nanosUntil(1, 5 * SECOND));
  }

  @Test
  void breakerOpensOnARateOverItsWindowNeverOnACountAndRecoversThroughOneTrial() {
    // a window of 10 s, 4 calls at least, half of them failed
    var settings = new ResilienceSettings.BreakerSettings(true, 0.5, Duration.ofSeconds(10), 4, Duration.ofSeconds(10));
    CircuitBreaker b = new CircuitBreaker(settings);
    b.onFailure(0);
    b.onFailure(0);
    b.onFailure(0);
    assertEquals(BreakerState.CLOSED, b.state(0), "3 failures in a row are fewer calls than the minimum");
    b.onSuccess(0);
    assertEquals(4, b.callsInWindow(0));
    b.onSuccess(SECOND);
    b.onFailure(SECOND); // 4 of 6 failed: the rate trips
    assertEquals(BreakerState.OPEN, b.state(SECOND));
    assertFalse(b.tryAcquire(10 * SECOND));
    assertEquals(SECOND, b.nanosUntilHalfOpen(10 * SECOND));
    assertTrue(b.tryAcquire(11 * SECOND));
    assertEquals(BreakerState.HALF_OPEN, b.state(11 * SECOND));
    assertFalse(b.tryAcquire(11 * SECOND), "one trial at a time");
    b.onFailure(11 * SECOND);
    assertEquals(BreakerState.OPEN, b.state(11 * SECOND));
    assertTrue(b.tryAcquire(21 * SECOND));
    b.onNeutral(); // a cancelled trial frees the way for another
    assertTrue(b.tryAcquire(21 * SECOND));
    b.onSuccess(21 * SECOND);
    assertEquals(BreakerState.CLOSED, b.state(21 * SECOND));
    assertEquals(0, b.callsInWindow(21 * SECOND), "closing starts an empty window");

    CircuitBreaker off = new CircuitBreaker(new ResilienceSettings.BreakerSettings(false, 0.5, Duration.ofSeconds(10), 1,
        Duration.ofSeconds(1)));
    off.onFailure(0);
    assertTrue(off.tryAcquire(0));
  }

  @Test
  void oldAnswersLeaveTheBreakersWindow() {
    var settings = new ResilienceSettings.BreakerSettings(true, 0.5, Duration.ofSeconds(10), 4, Duration.ofSeconds(10));
    CircuitBreaker b = new CircuitBreaker(settings);
    for (int i = 0; i < 3; i++) {
      b.onFailure(0);
    }
    assertEquals(3, b.failuresInWindow(9 * SECOND));
    // 11 s later the three failures are out of the window: ten successes and one failure now
    for (int i = 0; i < 10; i++) {
      b.onSuccess(11 * SECOND);
    }
    assertEquals(0, b.failuresInWindow(11 * SECOND));
    b.onFailure(11 * SECOND);
    assertEquals(BreakerState.CLOSED, b.state(11 * SECOND), "1 of 11 in the window, not 4 of 14");
    assertEquals(11, b.callsInWindow(11 * SECOND));
    assertEquals(0, b.callsInWindow(30 * SECOND));

    // a burst that fails all at once still needs its share, and trips on it
    CircuitBreaker burst = new CircuitBreaker(settings);
    for (int i = 0; i < 100; i++) {
      burst.onSuccess(SECOND);
    }
    for (int i = 0; i < 99; i++) {
      burst.onFailure(2 * SECOND);
    }
    assertEquals(BreakerState.CLOSED, burst.state(2 * SECOND), "99 failures of 199 calls: under 50 %");
    burst.onFailure(2 * SECOND);
    assertEquals(BreakerState.OPEN, burst.state(2 * SECOND));
  }

  @Test
  void thePacerLetsCallsGrowPastTheWarmConnectionsAtItsRate() {
    // 10 new connections a second, 2 at once; connections unused for 60 s are forgotten
    ConnectionPacer p = new ConnectionPacer(new ResilienceSettings.PacingSettings(10, 2, Duration.ofSeconds(60)), 0);
    assertEquals(0, p.nanosUntilSend(0));
    p.onSend(0);
    assertEquals(0, p.nanosUntilSend(0));
    p.onSend(0);
    assertEquals(SECOND / 10, p.nanosUntilSend(0), "the burst is spent: the third connection waits 100 ms");
    assertEquals(0, p.nanosUntilSend(SECOND / 10));
    p.onSend(SECOND / 10);
    assertEquals(3, p.warm());
    p.onDone();
    p.onDone();
    assertEquals(0, p.nanosUntilSend(SECOND / 10), "two warm connections are free: no permit needed");
    p.onSend(SECOND / 10);
    p.onSend(SECOND / 10);
    assertEquals(SECOND / 10, p.nanosUntilSend(SECOND / 10));
    p.onDone();
    p.onDone();
    p.onDone();
    // two idle periods later the pool has closed them: new permits again, the bucket full by then
    assertEquals(0, p.nanosUntilSend(121 * SECOND));
    assertEquals(0, p.warm());

    ConnectionPacer off = new ConnectionPacer(ResilienceSettings.PacingSettings.OFF, 0);
    for (int i = 0; i < 1000; i++) {
      assertEquals(0, off.nanosUntilSend(0));
      off.onSend(0);
    }
  }

  @Test
  void backoffIsExponentialWithJitterAndRetryAfterWins() {
    var retry = new ResilienceSettings.RetrySettings(5, Duration.ofMillis(500), Duration.ofSeconds(3), 2.0, 0.2,
        Duration.ofSeconds(60));
    assertEquals(Duration.ofMillis(500), Backoff.delay(retry, 2, null, () -> 0.0));
    assertEquals(Duration.ofMillis(1000), Backoff.delay(retry, 3, null, () -> 0.0));
    assertEquals(Duration.ofMillis(800), Backoff.delay(retry, 3, null, () -> 1.0)); // minus 20 %
    assertEquals(Duration.ofSeconds(3), Backoff.delay(retry, 9, null, () -> 0.0)); // capped
    assertEquals(Duration.ofSeconds(7), Backoff.delay(retry, 2, Duration.ofSeconds(7), () -> 0.5));
    assertEquals(Duration.ofSeconds(60), Backoff.delay(retry, 2, Duration.ofHours(1), () -> 0.5));
  }

  @Test
  void rateLimitHeadersOfBothProvidersParse() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    RateLimits openai = RateLimits.of(new RateLimitInfo(Duration.ofSeconds(2), Map.of(
        "x-ratelimit-limit-requests", "500", "x-ratelimit-remaining-requests", "499",
        "x-ratelimit-reset-requests", "6m0s", "x-ratelimit-limit-tokens", "30000",
        "x-ratelimit-remaining-tokens", "29000", "x-ratelimit-reset-tokens", "20ms")), now);
    assertEquals(new RateLimits(500L, 499L, Duration.ofMinutes(6), 30000L, 29000L, Duration.ofMillis(20),
        Duration.ofSeconds(2)), openai);

    RateLimits anthropic = RateLimits.of(new RateLimitInfo(null, Map.of(
        "anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "0",
        "anthropic-ratelimit-requests-reset", "2026-01-01T00:00:12Z",
        "anthropic-ratelimit-input-tokens-limit", "40000", "anthropic-ratelimit-input-tokens-remaining", "100")), now);
    assertEquals(50L, anthropic.requestsLimit());
    assertEquals(0L, anthropic.requestsRemaining());
    assertEquals(Duration.ofSeconds(12), anthropic.requestsReset());
    assertEquals(40000L, anthropic.tokensLimit());
    assertEquals(100L, anthropic.tokensRemaining());
    assertNull(anthropic.retryAfter());

    assertEquals(Duration.ofMillis(1500), RateLimits.duration("1.5s"));
    assertEquals(Duration.ofSeconds(3723), RateLimits.duration("1h2m3s"));
    assertNull(RateLimits.duration("soon"));
    assertTrue(RateLimits.of(RateLimitInfo.NONE, now).isEmpty());
  }

  @Test
  void pricingMatchesTheModelOrItsLongestPrefix() {
    Pricing pricing = Pricing.fromConfig(ConfigFactory.parseString(
        "\"gpt-4o\" { input-per-million = 2.5, output-per-million = 10 }\n"
            + "\"gpt-4o-mini\" { input-per-million = 0.15, output-per-million = 0.6 }"));
    assertEquals(0.0125, pricing.cost("gpt-4o-2024-08-06", new Usage(1000, 1000)).getAsDouble(), 1e-12);
    assertEquals(0.00075, pricing.cost("gpt-4o-mini", new Usage(1000, 1000)).getAsDouble(), 1e-12);
    assertTrue(pricing.cost("claude", new Usage(1, 1)).isEmpty());
  }
}
