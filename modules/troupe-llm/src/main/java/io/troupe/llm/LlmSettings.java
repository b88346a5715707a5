package io.troupe.llm;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the gateway ({@code troupe.llm}).
 *
 * @param provider the name of the provider every call goes to
 * @param model the default model for requests that name none; empty for the provider's default
 * @param stream stream every call that has a delta receiver
 * @param callTimeout a call not completed by then fails with TIMEOUT
 */
public record LlmSettings(String provider, String model, boolean stream, Duration callTimeout) {

  public static LlmSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("llm");
    return new LlmSettings(
        c.getString("provider").trim(), c.getString("model").trim(), c.getBoolean("stream"), c.getDuration("call-timeout"));
  }
}
