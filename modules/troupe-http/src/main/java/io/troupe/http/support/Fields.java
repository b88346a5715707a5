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
    String text = storableText(value.asText(), prefix + "`" + field + "`");
    if (text.codePoints().allMatch(Fields::isInvisible)) {
      throw ApiError.invalid(prefix + "`" + field + "` must contain visible characters");
    }
    return text;
  }

  private static boolean isInvisible(int codePoint) {
    return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint) || Character.isISOControl(codePoint)
        || Character.getType(codePoint) == Character.FORMAT;
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
    return Optional.of(storableText(value.asText(), prefix + "`" + field + "`"));
  }

  /**
   * Free text as the user wrote it, direction marks and zero-width characters included, but
   * without what no store keeps faithfully: unpaired surrogates, and control characters other
   * than tab, line feed and carriage return (PostgreSQL refuses NUL in text).
   */
  public static String storableText(String text, String what) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        throw ApiError.invalid(what + " must not contain control characters (U+" + hex(c) + " at " + i + ")");
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw ApiError.invalid(what + " must be valid Unicode: unpaired surrogate U+" + hex(c) + " at " + i);
      }
    }
    return text;
  }

  /**
   * An identifier chosen by a client: 1 to {@code maxLength} characters, none of them control,
   * format (direction overrides, zero-width), line or paragraph separators, or unpaired surrogates,
   * so that an id always reads as what it is.
   */
  public static String identifier(String id, String what, int maxLength) {
    if (id.isBlank() || id.length() > maxLength) {
      throw ApiError.invalid(what + " must be 1 to " + maxLength + " characters");
    }
    storableText(id, what);
    for (int i = 0; i < id.length(); ) {
      int cp = id.codePointAt(i);
      int type = Character.getType(cp);
      if (Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw ApiError.invalid(what + " must not contain invisible or control characters (U+" + hex(cp) + " at " + i + ")");
      }
      i += Character.charCount(cp);
    }
    return id;
  }

  private static String hex(int codePoint) {
    return String.format(java.util.Locale.ROOT, "%04X", codePoint);
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
      // strip, not trim: trim also drops NUL and other control characters
      long v = Long.parseLong(raw.get().strip());
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
    return switch (raw.get().strip().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes", "" -> true;
      case "false", "0", "no" -> false;
      default -> throw ApiError.invalid("query parameter `" + name + "` must be true or false");
    };
  }

  public static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
