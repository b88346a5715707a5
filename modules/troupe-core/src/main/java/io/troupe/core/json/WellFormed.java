package io.troupe.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Text that the journal can keep. A lone UTF-16 surrogate (a JSON {@code "\ud800"} escape from a
 * provider or a fetched page) cannot be encoded, so the journal would refuse the event that holds
 * it; here it becomes U+FFFD. Valid surrogate pairs are kept. Returns its argument itself when it
 * is already well formed, so the common case allocates nothing.
 */
public final class WellFormed {
  private WellFormed() {}

  private static final char REPLACEMENT = '\uFFFD';

  public static String text(String s) {
    if (s == null) return null;
    int bad = firstLoneSurrogate(s);
    if (bad < 0) return s;
    StringBuilder out = new StringBuilder(s.length()).append(s, 0, bad);
    for (int i = bad; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? REPLACEMENT : c);
      }
    }
    return out.toString();
  }

  private static int firstLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!Character.isSurrogate(c)) continue;
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else {
        return i;
      }
    }
    return -1;
  }

  /** {@code node}, or a copy with every string (keys too) made well formed. */
  public static JsonNode json(JsonNode node) {
    return node == null || isWellFormed(node) ? node : copy(node);
  }

  private static boolean isWellFormed(JsonNode node) {
    if (node.isTextual()) return firstLoneSurrogate(node.textValue()) < 0;
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (firstLoneSurrogate(field.getKey()) >= 0 || !isWellFormed(field.getValue())) return false;
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (!isWellFormed(element)) return false;
      }
    }
    return true;
  }

  private static JsonNode copy(JsonNode node) {
    if (node.isTextual()) return TextNode.valueOf(text(node.textValue()));
    if (node.isObject()) {
      ObjectNode out = Json.object();
      node.fields().forEachRemaining(f -> out.set(text(f.getKey()), copy(f.getValue())));
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = Json.array();
      node.forEach(element -> out.add(copy(element)));
      return out;
    }
    return node;
  }
}
