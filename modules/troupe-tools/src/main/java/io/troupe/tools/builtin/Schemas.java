package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;

/** Small builders for the built-in tools' JSON Schemas. */
final class Schemas {
  private Schemas() {}

  /** An object schema that allows no other properties than {@code properties}. */
  static ObjectNode object(ObjectNode properties, String... required) {
    ObjectNode schema = Json.object().put("type", "object");
    schema.set("properties", properties);
    if (required.length > 0) {
      var list = schema.putArray("required");
      for (String r : required) list.add(r);
    }
    schema.put("additionalProperties", false);
    return schema;
  }

  static ObjectNode string(String description) {
    return Json.object().put("type", "string").put("description", description);
  }

  static ObjectNode integer(String description, int minimum, int maximum) {
    return Json.object().put("type", "integer").put("description", description).put("minimum", minimum).put("maximum", maximum);
  }
}
