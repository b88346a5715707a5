package io.troupe.llm.anthropic;

import com.typesafe.config.Config;
import io.troupe.llm.http.ProviderConfig;

/**
 * Settings of the Anthropic provider ({@code troupe.llm.anthropic}).
 *
 * @param common base URL, key, model, default max-tokens (the Messages API requires one), pool
 * @param version the {@code anthropic-version} header
 */
public record AnthropicSettings(ProviderConfig common, String version) {

  public static AnthropicSettings fromConfig(String name, String path, Config section) {
    ProviderConfig common = ProviderConfig.fromConfig(name, path, section);
    if (common.maxTokens() < 1) {
      throw new IllegalArgumentException(path + ".max-tokens must be at least 1");
    }
    return new AnthropicSettings(common, section.getString("version"));
  }
}
