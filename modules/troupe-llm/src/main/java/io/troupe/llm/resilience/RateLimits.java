package io.troupe.llm.resilience;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a provider said about its rate limits in one response. Every field may be null.
 *
 * <p>OpenAI: {@code x-ratelimit-limit-requests}, {@code x-ratelimit-remaining-requests},
 * {@code x-ratelimit-reset-requests} (a duration such as {@code 6m0s}) and the same for
 * {@code -tokens}. Anthropic: {@code anthropic-ratelimit-requests-limit}, {@code -remaining},
 * {@code -reset} (an RFC 3339 time) and the same for {@code tokens} (or, failing that,
 * {@code input-tokens}). {@code retry-after} in seconds.
 */
public record RateLimits(
    Long requestsLimit, Long requestsRemaining, Duration requestsReset,
    Long tokensLimit, Long tokensRemaining, Duration tokensReset,
    Duration retryAfter) {

  public static final RateLimits NONE = new RateLimits(null, null, null, null, null, null, null);

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

  public boolean isEmpty() {
    return equals(NONE);
  }

  /** From the headers a provider captured, with their {@code Retry-After}. */
  public static RateLimits of(io.troupe.llm.http.RateLimitInfo info, Instant now) {
    if (info == null || info.isEmpty()) return NONE;
    RateLimits parsed = parse(info.headers()::get, now);
    return info.retryAfter() == null ? parsed : parsed.withRetryAfter(info.retryAfter());
  }

  public RateLimits withRetryAfter(Duration retryAfter) {
    return new RateLimits(requestsLimit, requestsRemaining, requestsReset, tokensLimit, tokensRemaining, tokensReset,
        retryAfter);
  }

  /** Reads the headers through {@code header} (name in lower case to value, or null). */
  public static RateLimits parse(Function<String, String> header, Instant now) {
    Function<String, String> h = name -> {
      String v = header.apply(name);
      return v == null || v.isBlank() ? null : v.trim();
    };
    Long reqLimit = number(h.apply("x-ratelimit-limit-requests"));
    Long reqRemaining = number(h.apply("x-ratelimit-remaining-requests"));
    Duration reqReset = duration(h.apply("x-ratelimit-reset-requests"));
    Long tokLimit = number(h.apply("x-ratelimit-limit-tokens"));
    Long tokRemaining = number(h.apply("x-ratelimit-remaining-tokens"));
    Duration tokReset = duration(h.apply("x-ratelimit-reset-tokens"));

    String a = "anthropic-ratelimit-";
    reqLimit = first(reqLimit, number(h.apply(a + "requests-limit")));
    reqRemaining = first(reqRemaining, number(h.apply(a + "requests-remaining")));
    reqReset = first(reqReset, until(h.apply(a + "requests-reset"), now));
    for (String kind : new String[] {"tokens", "input-tokens"}) {
      tokLimit = first(tokLimit, number(h.apply(a + kind + "-limit")));
      tokRemaining = first(tokRemaining, number(h.apply(a + kind + "-remaining")));
      tokReset = first(tokReset, until(h.apply(a + kind + "-reset"), now));
    }
    Duration retryAfter = retryAfter(h.apply("retry-after"), now);
    return new RateLimits(reqLimit, reqRemaining, reqReset, tokLimit, tokRemaining, tokReset, retryAfter);
  }

  private static <T> T first(T a, T b) {
    return a != null ? a : b;
  }

  static Long number(String v) {
    if (v == null) return null;
    try {
      return (long) Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** {@code 1s}, {@code 6m0s}, {@code 20ms}, {@code 1h2m3.5s}, or bare seconds. */
  static Duration duration(String v) {
    if (v == null) return null;
    String s = v.toLowerCase(Locale.ROOT);
    Long bare = number(s);
    if (bare != null && s.matches("\\d+(\\.\\d+)?")) {
      return Duration.ofMillis((long) (Double.parseDouble(s) * 1000));
    }
    Matcher m = DURATION_PART.matcher(s);
    double millis = 0;
    int end = 0;
    boolean any = false;
    while (m.find()) {
      if (m.start() != end) return null;
      end = m.end();
      any = true;
      double n = Double.parseDouble(m.group(1));
      millis += switch (m.group(2)) {
        case "h" -> n * 3_600_000;
        case "m" -> n * 60_000;
        case "s" -> n * 1000;
        default -> n;
      };
    }
    return any && end == s.length() ? Duration.ofMillis((long) millis) : null;
  }

  private static Duration until(String timestamp, Instant now) {
    if (timestamp == null) return null;
    try {
      Duration d = Duration.between(now, Instant.parse(timestamp));
      return d.isNegative() ? Duration.ZERO : d;
    } catch (DateTimeParseException e) {
      return duration(timestamp);
    }
  }

  /** Seconds, or an HTTP date. */
  static Duration retryAfter(String v, Instant now) {
    if (v == null) return null;
    Long seconds = number(v);
    if (seconds != null) {
      return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
    }
    try {
      Instant at = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(now, at);
      return d.isNegative() ? Duration.ZERO : d;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
