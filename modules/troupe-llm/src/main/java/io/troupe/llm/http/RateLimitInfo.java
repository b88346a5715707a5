package io.troupe.llm.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.pekko.http.javadsl.model.HttpHeader;

/**
 * What a provider said about its rate limits in one response: {@code Retry-After} (also
 * {@code retry-after-ms}) and every {@code x-ratelimit-*} / {@code anthropic-ratelimit-*} header,
 * by lower-case name. The resilience layer adapts its token buckets and retry delays to it.
 *
 * @param retryAfter how long the provider asks to wait, or null when it did not say
 * @param headers the rate-limit headers, lower-case name to raw value
 */
public record RateLimitInfo(Duration retryAfter, Map<String, String> headers) {
  public static final RateLimitInfo NONE = new RateLimitInfo(null, Map.of());

  public RateLimitInfo {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public static RateLimitInfo from(Iterable<HttpHeader> responseHeaders) {
    return from(responseHeaders, Instant.now());
  }

  static RateLimitInfo from(Iterable<HttpHeader> responseHeaders, Instant now) {
    Map<String, String> limits = new TreeMap<>();
    Duration retryAfter = null;
    Duration retryAfterMs = null;
    for (HttpHeader h : responseHeaders) {
      String name = h.lowercaseName();
      if (name.startsWith("x-ratelimit-") || name.startsWith("anthropic-ratelimit-")) {
        limits.put(name, h.value());
      } else if (name.equals("retry-after")) {
        retryAfter = parseRetryAfter(h.value(), now);
      } else if (name.equals("retry-after-ms")) {
        retryAfterMs = parseMillis(h.value());
      }
    }
    Duration wait = retryAfterMs != null ? retryAfterMs : retryAfter;
    return wait == null && limits.isEmpty() ? NONE : new RateLimitInfo(wait, limits);
  }

  /** A header's value as a number, e.g. {@code remaining("x-ratelimit-remaining-requests")}. */
  public OptionalLong number(String name) {
    String v = headers.get(name.toLowerCase(Locale.ROOT));
    if (v == null) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  public boolean isEmpty() {
    return retryAfter == null && headers.isEmpty();
  }

  /** Delta-seconds (possibly fractional) or an HTTP date; null when unreadable. */
  static Duration parseRetryAfter(String value, Instant now) {
    String v = value.trim();
    try {
      double seconds = Double.parseDouble(v);
      return seconds < 0 ? null : Duration.ofMillis((long) (seconds * 1000));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException notDate) {
        return null;
      }
    }
  }

  private static Duration parseMillis(String value) {
    try {
      double ms = Double.parseDouble(value.trim());
      return ms < 0 ? null : Duration.ofMillis((long) ms);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
