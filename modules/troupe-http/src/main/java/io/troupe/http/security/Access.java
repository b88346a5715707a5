package io.troupe.http.security;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;

import io.troupe.http.limits.TenantLimiter;
import io.troupe.http.limits.TenantRateLimiter;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.JsonResponses;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The ingress's gate: who the caller is (a Bearer API key, or the implicit tenant when auth is
 * off), whether its tenant is within its rate, and whether its key has a route's scope. The key
 * and the Authorization header never appear in an answer or a log line.
 */
public final class Access {
  private static final String BEARER = "bearer ";

  private final SecuritySettings settings;
  private final TenantLimiter limiter;
  private final Runnable onRateLimited;

  public Access(SecuritySettings settings, LongSupplier nanoClock) {
    this(settings, nanoClock, () -> { });
  }

  /** @param onRateLimited told of each request refused for its tenant's rate (the metrics count them) */
  public Access(SecuritySettings settings, LongSupplier nanoClock, Runnable onRateLimited) {
    this(settings, settings.requestsPerSecond() > 0
        ? new TenantRateLimiter(settings.requestsPerSecond(), settings.burst(), nanoClock) : null, onRateLimited);
  }

  /** @param limiter the tenants' rate limit (node-local or cluster-wide); null for none */
  public Access(SecuritySettings settings, TenantLimiter limiter, Runnable onRateLimited) {
    this.settings = settings;
    this.onRateLimited = onRateLimited;
    this.limiter = limiter;
  }

  /** Authenticates, then rate-limits the caller's tenant, then runs {@code inner}. */
  public Route authenticated(Function<Caller, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Caller caller;
      if (!settings.authEnabled()) {
        caller = Caller.IMPLICIT;
      } else {
        Optional<Caller> found = bearerKey(header).flatMap(settings.apiKeys()::authenticate);
        if (found.isEmpty()) {
          String why = header.isEmpty() ? "an API key is required: send Authorization: Bearer <key>"
              : bearerKey(header).isEmpty() ? "the Authorization header must be Bearer <key>"
              : "the API key is not valid";
          return complete(JsonResponses.error(ApiError.of(ApiError.UNAUTHORIZED, why))
              .addHeader(RawHeader.create("WWW-Authenticate", "Bearer")));
        }
        caller = found.get();
      }
      if (limiter == null) return inner.apply(caller);
      Caller admitted = caller;
      return onSuccess(limiter.acquire(caller.tenant()), waitNanos -> {
        if (waitNanos > 0) {
          onRateLimited.run();
          int seconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (waitNanos + 999_999_999L) / 1_000_000_000L));
          return complete(JsonResponses.error(new ApiError(429, ApiError.RATE_LIMITED,
              "too many requests for this tenant; retry after " + seconds + " s", seconds)));
        }
        return inner.apply(admitted);
      });
    });
  }

  /** {@code inner} when the caller has one of {@code scopes}; 403 forbidden otherwise. */
  public static Route require(Caller caller, Supplier<Route> inner, Scope... scopes) {
    if (Arrays.stream(scopes).anyMatch(caller::has)) {
      return inner.get();
    }
    String needed = Arrays.stream(scopes).map(Scope::json).collect(Collectors.joining(" or "));
    return complete(JsonResponses.error(ApiError.of(ApiError.FORBIDDEN, "this API key lacks the scope " + needed)));
  }

  private static Optional<String> bearerKey(Optional<String> header) {
    return header
        .map(String::trim)
        .filter(h -> h.length() > BEARER.length() && h.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER))
        .map(h -> h.substring(BEARER.length()).trim())
        .filter(k -> !k.isEmpty());
  }
}
