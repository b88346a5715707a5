package io.troupe.core.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;

/** The one shared JSON mapper (thread-safe once configured). */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new ParameterNamesModule())
          .registerModule(new Jdk8Module())
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setNodeFactory(CompactNodeFactory.INSTANCE);

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  public static JsonNode valueToTree(Object value) {
    return MAPPER.valueToTree(value);
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * The length of {@code node} written as compact JSON, counted without writing it (escapes are
   * not counted): for size estimates on hot paths, where {@code toString()} would allocate.
   */
  public static int compactLength(JsonNode node) {
    if (node == null) return 4;
    switch (node.getNodeType()) {
      case OBJECT -> {
        int length = 2 + Math.max(0, node.size() - 1);
        var fields = node.fields();
        while (fields.hasNext()) {
          var field = fields.next();
          length += field.getKey().length() + 3 + compactLength(field.getValue());
        }
        return length;
      }
      case ARRAY -> {
        int length = 2 + Math.max(0, node.size() - 1);
        for (JsonNode element : node) length += compactLength(element);
        return length;
      }
      case STRING -> {
        return node.textValue().length() + 2;
      }
      case BOOLEAN -> {
        return node.booleanValue() ? 4 : 5;
      }
      case NULL, MISSING -> {
        return 4;
      }
      default -> {
        return node.asText().length();
      }
    }
  }

  /** As {@link #write}, straight to UTF-8 bytes (no intermediate String). */
  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON: " + e.getOriginalMessage(), e);
    }
  }

  public static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
