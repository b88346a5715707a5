package io.troupe.llm.resilience;

import io.troupe.llm.http.RateLimitInfo;
import java.util.function.Consumer;

/**
 * Optional for a provider: it reports the rate-limit headers of every response, successful ones
 * included, so the gateway's token buckets follow the provider's own counts. (Failures already
 * carry them in {@link io.troupe.llm.LlmException#rateLimit()}.) The gateway registers one
 * listener after init; the provider may call it on any thread.
 */
public interface RateLimitReporting {
  void onRateLimits(Consumer<RateLimitInfo> listener);
}
