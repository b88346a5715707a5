package io.troupe.llm.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the {@code local} planner answers an agent with an output schema: it fills the schema from its
 * text answer. Every string is the answer (in the format the schema names: date-time, date, email,
 * uri, uuid), every number the last number in the answer (within its bounds), booleans true unless the
 * answer starts with "no", arrays one item (or {@code minItems}), an {@code enum} or {@code const} its
 * first value, and every property of an object is filled, required or not. It is not a language model:
 * a {@code pattern} it cannot know is left unmet, and the loop sends the errors back (once).
 */
final class StructuredAnswer {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern NUMBER = Pattern.compile("-?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|-?\\d+(?:\\.\\d+)?");
  private static final int MAX_DEPTH = 16;

  private StructuredAnswer() {}

  static String fill(JsonNode schema, String answer) {
    return Json.write(value(schema, answer == null ? "" : answer, 0));
  }

  static JsonNode value(JsonNode schema, String answer, int depth) {
    if (schema == null || !schema.isObject() || depth > MAX_DEPTH) return NODES.textNode(answer);
    if (schema.has("const")) return schema.get("const");
    if (schema.path("enum").isArray() && !schema.get("enum").isEmpty()) return schema.get("enum").get(0);
    for (String alternatives : new String[] {"anyOf", "oneOf", "allOf"}) {
      if (schema.path(alternatives).isArray() && !schema.get(alternatives).isEmpty() && !schema.has("type")) {
        return value(schema.get(alternatives).get(0), answer, depth + 1);
      }
    }
    String type = type(schema);
    return switch (type) {
      case "object" -> object(schema, answer, depth);
      case "array" -> array(schema, answer, depth);
      case "integer" -> NODES.numberNode(Math.round(number(schema, answer)));
      case "number" -> NODES.numberNode(number(schema, answer));
      case "boolean" -> NODES.booleanNode(!answer.strip().toLowerCase(Locale.ROOT).startsWith("no"));
      case "null" -> NODES.nullNode();
      default -> NODES.textNode(string(schema, answer));
    };
  }

  private static String type(JsonNode schema) {
    JsonNode t = schema.get("type");
    if (t != null && t.isTextual()) return t.asText();
    if (t != null && t.isArray()) {
      for (JsonNode option : t) if (!option.asText().equals("null")) return option.asText();
      return "null";
    }
    return schema.has("properties") ? "object" : schema.has("items") ? "array" : "string";
  }

  private static ObjectNode object(JsonNode schema, String answer, int depth) {
    ObjectNode out = NODES.objectNode();
    JsonNode properties = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      out.set(p.getKey(), value(p.getValue(), answer, depth + 1));
    }
    for (JsonNode required : schema.path("required")) {
      if (!out.has(required.asText())) out.put(required.asText(), answer);
    }
    return out;
  }

  private static ArrayNode array(JsonNode schema, String answer, int depth) {
    ArrayNode out = NODES.arrayNode();
    int n = Math.max(1, schema.path("minItems").asInt(1));
    if (schema.has("maxItems")) n = Math.min(n, schema.get("maxItems").asInt());
    for (int i = 0; i < n; i++) out.add(value(schema.get("items"), answer, depth + 1));
    return out;
  }

  private static double number(JsonNode schema, String answer) {
    double value = 0;
    Matcher m = NUMBER.matcher(answer);
    while (m.find()) value = Double.parseDouble(m.group().replace(",", ""));
    if (schema.has("minimum")) value = Math.max(value, schema.get("minimum").asDouble());
    if (schema.has("maximum")) value = Math.min(value, schema.get("maximum").asDouble());
    return value;
  }

  private static String string(JsonNode schema, String answer) {
    String s = switch (schema.path("format").asText("")) {
      case "date-time" -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      case "date" -> LocalDate.now(ZoneOffset.UTC).toString();
      case "time" -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().substring(11);
      case "email" -> "answer@example.com";
      case "uri", "url" -> "https://example.com/";
      case "uuid" -> java.util.UUID.randomUUID().toString();
      default -> answer;
    };
    int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
    if (s.codePointCount(0, s.length()) > max) s = s.substring(0, s.offsetByCodePoints(0, max));
    int min = schema.path("minLength").asInt(0);
    StringBuilder padded = new StringBuilder(s);
    while (padded.codePointCount(0, padded.length()) < min) padded.append('.');
    return padded.toString();
  }
}
