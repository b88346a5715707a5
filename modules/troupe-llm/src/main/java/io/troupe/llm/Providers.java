package io.troupe.llm;

import io.troupe.llm.local.LocalProvider;
import java.util.LinkedHashMap;
import java.util.Map;

/** The providers troupe-llm ships, by the name {@code troupe.llm.provider} selects them with. */
public final class Providers {
  private Providers() {}

  /** A fresh, modifiable map, so that a caller can add its own providers next to the built-in ones. */
  public static Map<String, ProviderFactory> builtIn() {
    Map<String, ProviderFactory> factories = new LinkedHashMap<>();
    factories.put(LocalProvider.NAME, LocalProvider::create);
    return factories;
  }
}
