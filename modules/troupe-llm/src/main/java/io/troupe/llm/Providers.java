package io.troupe.llm;

import com.typesafe.config.Config;
import io.troupe.llm.anthropic.AnthropicProvider;
import io.troupe.llm.embeddings.OpenAiEmbeddings;
import io.troupe.llm.local.LocalProvider;
import io.troupe.llm.openai.OpenAiProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The providers troupe-llm ships, by the name {@code troupe.llm.provider} selects them with:
 * {@code local}, {@code openai} (any OpenAI-compatible endpoint) and {@code anthropic}, plus every
 * named provider of {@code troupe.llm.providers} (see {@link #forConfig}).
 */
public final class Providers {
  private static final String PREFIX = "troupe.llm.";

  private Providers() {}

  /** A fresh, modifiable map, so that a caller can add its own providers next to the built-in ones. */
  public static Map<String, ProviderFactory> builtIn() {
    Map<String, ProviderFactory> factories = new LinkedHashMap<>();
    factories.put(LocalProvider.NAME, LocalProvider::create);
    factories.put(OpenAiProvider.TYPE, (system, llm) ->
        OpenAiProvider.create(system, OpenAiProvider.TYPE, PREFIX + OpenAiProvider.TYPE, section(llm, OpenAiProvider.TYPE)));
    factories.put(AnthropicProvider.TYPE, (system, llm) ->
        AnthropicProvider.create(system, AnthropicProvider.TYPE, PREFIX + AnthropicProvider.TYPE, section(llm, AnthropicProvider.TYPE)));
    return factories;
  }

  /**
   * The built-in providers plus one per entry of {@code troupe.llm.providers}, e.g.
   * {@code fast { type = openai, model = "gpt-4o-mini" }}: a named provider takes every setting it
   * does not give from the section of its type ({@code troupe.llm.openai} here).
   */
  public static Map<String, ProviderFactory> forConfig(Config llm) {
    Map<String, ProviderFactory> factories = builtIn();
    if (!llm.hasPath("providers")) {
      return factories;
    }
    for (String name : llm.getConfig("providers").root().keySet()) {
      factories.put(name, named(name));
    }
    return factories;
  }

  /** The factory of one named provider; it reads its section when the gateway builds it. */
  public static ProviderFactory named(String name) {
    return (system, llm) -> {
      String path = PREFIX + "providers." + name;
      Config section = section(llm, "providers." + name);
      String type = section.hasPath("type") ? section.getString("type").trim() : "";
      return switch (type) {
        case OpenAiProvider.TYPE -> OpenAiProvider.create(system, name, path, section);
        case AnthropicProvider.TYPE -> AnthropicProvider.create(system, name, path, section);
        default -> throw new IllegalArgumentException(
            path + ".type must be openai or anthropic, was '" + type + "'");
      };
    };
  }

  /** An embedding client from {@code troupe.llm.openai}, or from a named provider of type openai. */
  public static OpenAiEmbeddings openAiEmbeddings(ActorSystem<?> system, Config llm, String name) {
    String relative = OpenAiProvider.TYPE.equals(name) ? name : "providers." + name;
    return OpenAiEmbeddings.create(system, PREFIX + relative, section(llm, relative));
  }

  /**
   * A provider's section with its fallbacks: a named provider falls back to the section of its
   * type, and its {@code http} block to {@code troupe.llm.http}.
   */
  static Config section(Config llm, String relativePath) {
    Config section = llm.getConfig(relativePath);
    if (section.hasPath("type") && llm.hasPath(section.getString("type").trim())) {
      section = section.withFallback(llm.getConfig(section.getString("type").trim()));
    }
    Config http = section.hasPath("http") ? section.getConfig("http") : llm.getConfig("http");
    return section.withValue("http", http.withFallback(llm.getConfig("http")).root());
  }
}
