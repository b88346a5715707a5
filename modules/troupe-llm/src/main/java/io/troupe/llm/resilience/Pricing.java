package io.troupe.llm.resilience;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.troupe.core.llm.Usage;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Prices per model ({@code troupe.llm.pricing."<model>" { input-per-million, output-per-million }},
 * US dollars per million tokens). A model matches its own entry, or else the longest entry it
 * starts with (so {@code gpt-4o} prices {@code gpt-4o-2024-08-06}).
 */
public final class Pricing {
  public record Price(double inputPerMillion, double outputPerMillion) {}

  private final Map<String, Price> prices;

  public Pricing(Map<String, Price> prices) {
    this.prices = Map.copyOf(prices);
  }

  public static Pricing fromConfig(Config pricing) {
    Map<String, Price> prices = new HashMap<>();
    for (String model : pricing.root().keySet()) {
      Config p = pricing.getConfig(ConfigUtil.joinPath(model));
      prices.put(model, new Price(
          p.hasPath("input-per-million") ? p.getDouble("input-per-million") : 0,
          p.hasPath("output-per-million") ? p.getDouble("output-per-million") : 0));
    }
    return new Pricing(prices);
  }

  public OptionalDouble cost(String model, Usage usage) {
    if (model == null || usage == null) return OptionalDouble.empty();
    Price price = prices.get(model);
    if (price == null) {
      String best = null;
      for (String key : prices.keySet()) {
        if (model.startsWith(key) && (best == null || key.length() > best.length())) best = key;
      }
      if (best == null) return OptionalDouble.empty();
      price = prices.get(best);
    }
    return OptionalDouble.of(
        (usage.inputTokens() * price.inputPerMillion() + usage.outputTokens() * price.outputPerMillion()) / 1e6);
  }
}
