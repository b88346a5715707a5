package io.troupe.llm.openai;

import com.typesafe.config.Config;
import io.troupe.llm.http.ProviderConfig;

/**
 * Settings of an OpenAI-compatible provider ({@code troupe.llm.openai}).
 *
 * @param common base URL, key, model, pool
 * @param maxTokensField {@code max_tokens} (most compatible servers) or {@code max_completion_tokens}
 * @param streamUsage ask for the final usage chunk when streaming ({@code stream_options.include_usage})
 * @param requireApiKey fail at start without a key; {@code auto}: only for api.openai.com
 */
public record OpenAiSettings(ProviderConfig common, String maxTokensField, boolean streamUsage, boolean requireApiKey) {

  public static OpenAiSettings fromConfig(String name, String path, Config section) {
    ProviderConfig common = ProviderConfig.fromConfig(name, path, section);
    String require = section.getString("require-api-key").trim();
    boolean required = require.equals("auto") ? common.host().endsWith("openai.com") : Boolean.parseBoolean(require);
    return new OpenAiSettings(common, section.getString("max-tokens-field"), section.getBoolean("stream-usage"), required);
  }
}
