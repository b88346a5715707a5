package io.troupe.core.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The "parse and classify" stage: a cheap, deterministic reading of the intent before any model
 * call. It names what the intent asks for so that plans, traces and metrics can be grouped.
 */
public final class IntentClassifier {

  private record Rule(String category, Pattern pattern) {}

  private static final List<Rule> RULES = List.of(
      new Rule("calculation", Pattern.compile("\\d\\s*(%|percent|[+\\-*/^x×÷])\\s*|\\b(calculate|compute|sum|plus|minus|times|divided)\\b")),
      new Rule("time", Pattern.compile("\\b(time|date|today|clock|timezone|utc|gmt)\\b")),
      new Rule("documents", Pattern.compile("\\b(search|document|docs|knowledge|find)\\b")),
      new Rule("data", Pattern.compile("\\b(sql|database|table|rows?|how many|count|customers?|orders?|products?)\\b")));

  private static final Pattern SPLIT = Pattern.compile("\\s*(?:\\?|;|\\band\\b|\\balso\\b)\\s*");

  private IntentClassifier() {}

  public record Classification(String category, List<String> signals, List<String> asks) {
    public ObjectNode toJson() {
      ObjectNode node = Json.object().put("category", category);
      signals.forEach(node.putArray("signals")::add);
      asks.forEach(node.putArray("asks")::add);
      return node;
    }
  }

  public static Classification classify(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    List<String> signals = new ArrayList<>();
    for (Rule rule : RULES) {
      if (rule.pattern().matcher(lower).find()) {
        signals.add(rule.category());
      }
    }
    List<String> asks = new ArrayList<>();
    for (String part : SPLIT.split(text)) {
      if (!part.isBlank()) asks.add(part.trim());
    }
    String category = signals.isEmpty() ? "conversation" : signals.size() == 1 ? signals.get(0) : "multi";
    return new Classification(category, List.copyOf(signals), List.copyOf(asks));
  }
}
