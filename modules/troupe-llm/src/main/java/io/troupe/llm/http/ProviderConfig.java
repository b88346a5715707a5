package io.troupe.llm.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings every HTTP provider shares, read from its config section (e.g.
 * {@code troupe.llm.openai}, or a named {@code troupe.llm.providers.<name>} that falls back to it).
 * {@link #toString()} never shows the key.
 *
 * @param name the provider's name, used in errors
 * @param path the config path, used in errors, e.g. {@code troupe.llm.openai}
 * @param baseUrl the endpoint, without a trailing slash
 * @param apiKey the key, possibly empty
 * @param model the default model
 * @param maxTokens the output token limit sent when a request names none (0: do not send one)
 * @param headers extra request headers, e.g. OpenRouter's {@code HTTP-Referer}
 * @param http the connection pool settings
 * @param verifyOnStart list the models once at start, so that a rejected key fails the init
 */
public record ProviderConfig(
    String name, String path, String baseUrl, String apiKey, String model, int maxTokens,
    Map<String, String> headers, HttpSettings http, boolean verifyOnStart) {

  public static ProviderConfig fromConfig(String name, String path, Config section) {
    String baseUrl = section.getString("base-url").trim();
    while (baseUrl.endsWith("/")) {
      baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
    }
    URI uri;
    try {
      uri = URI.create(baseUrl);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ".base-url is not a URL");
    }
    if (uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new IllegalArgumentException(path + ".base-url must be an http(s) URL, e.g. https://api.openai.com/v1");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (section.hasPath("headers")) {
      for (Map.Entry<String, ConfigValue> e : section.getConfig("headers").root().entrySet()) {
        headers.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
      }
    }
    return new ProviderConfig(
        name, path, baseUrl, section.getString("api-key").trim(), section.getString("model").trim(),
        section.hasPath("max-tokens") ? section.getInt("max-tokens") : 0,
        Map.copyOf(headers), HttpSettings.fromConfig(section.getConfig("http")),
        section.hasPath("verify-on-start") && section.getBoolean("verify-on-start"));
  }

  /** Fails with a message naming the setting (never the value) when the key is missing. */
  public void requireApiKey(String envVariable) {
    if (apiKey.isEmpty()) {
      throw new IllegalArgumentException(
          "no API key for the provider '" + name + "': set " + path + ".api-key" + (envVariable == null ? "" : " or " + envVariable));
    }
  }

  public String host() {
    return URI.create(baseUrl).getHost();
  }

  @Override
  public String toString() {
    return "ProviderConfig[name=" + name + ", baseUrl=" + baseUrl + ", model=" + model + ", apiKey="
        + (apiKey.isEmpty() ? "<none>" : "<set>") + "]";
  }
}
