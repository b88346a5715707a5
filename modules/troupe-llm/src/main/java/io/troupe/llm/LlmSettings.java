package io.troupe.llm;

import com.typesafe.config.Config;
import io.troupe.llm.resilience.Pricing;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the gateway ({@code troupe.llm}).
 *
 * @param provider the name of the provider every call goes to first
 * @param model the default model for requests that name none; empty for the provider's default
 * @param stream stream every call that has a delta receiver
 * @param callTimeout one attempt not completed by then fails with TIMEOUT (and may be retried)
 * @param totalTimeout a call with all its retries and fallbacks is answered TIMEOUT by then
 * @param fallback where a call goes when the provider fails after its retries: {@code provider},
 *     {@code provider/model}, or a model of the primary provider
 * @param resilience the {@code troupe.llm.resilience} block, resolved per provider and model
 * @param pricing prices per model, for the cost in the usage
 */
public record LlmSettings(
    String provider, String model, boolean stream, Duration callTimeout, Duration totalTimeout,
    List<String> fallback, Config resilience, Pricing pricing) {

  public static LlmSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("llm");
    return new LlmSettings(
        c.getString("provider").trim(), c.getString("model").trim(), c.getBoolean("stream"),
        c.getDuration("call-timeout"), c.getDuration("total-timeout"),
        c.getStringList("fallback").stream().map(String::trim).filter(s -> !s.isEmpty()).toList(),
        c.getConfig("resilience"), Pricing.fromConfig(c.getConfig("pricing")));
  }
}
