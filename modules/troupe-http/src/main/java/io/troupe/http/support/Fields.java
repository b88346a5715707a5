package io.troupe.http.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** Hand validation of JSON request fields, with messages that name the field. */
public final class Fields {
  private Fields() {}

  public static ObjectNode object(JsonNode node, String what) {
    if (node == null || !node.isObject()) {
      throw ApiError.invalid(what + " must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /** A required, non-blank string. */
  public static String requiredText(ObjectNode obj, String field, String prefix) {
    JsonNode value = obj.get(field);
    if (value == null || value.isNull()) {
      throw ApiError.invalid(prefix + "`" + field + "` is required");
    }
    if (!value.isTextual()) {
      throw ApiError.invalid(prefix + "`" + field + "` must be a string, not " + typeOf(value));
    }
    if (value.asText().isBlank()) {
      throw ApiError.invalid(prefix + "`" + field + "` must not be empty");
    }
    return value.asText();
  }

  /** An optional string; absent or null gives empty. */
  public static Optional<String> optionalString(ObjectNode obj, String field, String prefix) {
    JsonNode value = obj.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw ApiError.invalid(prefix + "`" + field + "` must be a string, not " + typeOf(value));
    }
    return Optional.of(value.asText());
  }

  /** An optional JSON object; absent or null gives empty. */
  public static Optional<ObjectNode> optionalObject(ObjectNode obj, String field, String prefix) {
    JsonNode value = obj.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isObject()) {
      throw ApiError.invalid(prefix + "`" + field + "` must be a JSON object, not " + typeOf(value));
    }
    return Optional.of((ObjectNode) value);
  }

  public static String typeOf(JsonNode value) {
    if (value == null || value.isNull()) return "null";
    if (value.isTextual()) return "a string";
    if (value.isNumber()) return "a number";
    if (value.isBoolean()) return "a boolean";
    if (value.isArray()) return "an array";
    if (value.isObject()) return "an object";
    return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** A non-negative integer query parameter. */
  public static Optional<Long> queryLong(Optional<String> raw, String name) {
    if (raw.isEmpty() || raw.get().isBlank()) {
      return Optional.empty();
    }
    try {
      long v = Long.parseLong(raw.get().trim());
      if (v < 0) {
        throw ApiError.invalid("query parameter `" + name + "` must not be negative");
      }
      return Optional.of(v);
    } catch (NumberFormatException e) {
      throw ApiError.invalid("query parameter `" + name + "` must be an integer, not '" + clip(raw.get()) + "'");
    }
  }

  public static boolean queryBoolean(Optional<String> raw, String name) {
    if (raw.isEmpty()) return false;
    return switch (raw.get().trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes", "" -> true;
      case "false", "0", "no" -> false;
      default -> throw ApiError.invalid("query parameter `" + name + "` must be true or false");
    };
  }

  public static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
