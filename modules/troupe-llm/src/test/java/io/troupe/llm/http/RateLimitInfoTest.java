package io.troupe.llm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class RateLimitInfoTest {

  @Test
  void readsRetryAfterSecondsAndTheRateLimitHeaders() {
    RateLimitInfo info = RateLimitInfo.from(List.<HttpHeader>of(
        RawHeader.create("Retry-After", "7"),
        RawHeader.create("X-RateLimit-Remaining-Tokens", "1200"),
        RawHeader.create("anthropic-ratelimit-requests-reset", "2026-02-17T23:44:11Z"),
        RawHeader.create("content-type", "application/json")));

    assertEquals(Duration.ofSeconds(7), info.retryAfter());
    assertEquals(1200, info.number("x-ratelimit-remaining-tokens").orElseThrow());
    assertEquals("2026-02-17T23:44:11Z", info.headers().get("anthropic-ratelimit-requests-reset"));
    assertEquals(2, info.headers().size());
  }

  @Test
  void preferRetryAfterMsAndReadHttpDates() {
    assertEquals(Duration.ofMillis(1500), RateLimitInfo.from(List.<HttpHeader>of(
        RawHeader.create("retry-after", "2"), RawHeader.create("retry-after-ms", "1500"))).retryAfter());
    Instant now = Instant.parse("2026-02-17T23:44:00Z");
    assertEquals(Duration.ofSeconds(11), RateLimitInfo.parseRetryAfter("Tue, 17 Feb 2026 23:44:11 GMT", now));
    assertNull(RateLimitInfo.parseRetryAfter("soon", now));
  }

  @Test
  void noHeadersIsNone() {
    assertSame(RateLimitInfo.NONE, RateLimitInfo.from(List.<HttpHeader>of(RawHeader.create("server", "x"))));
  }
}
