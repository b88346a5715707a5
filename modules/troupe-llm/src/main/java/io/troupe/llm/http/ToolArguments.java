package io.troupe.llm.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.troupe.core.json.Json;

/** Tool-call arguments as the models send them: a JSON text, possibly empty or broken. */
public final class ToolArguments {
  private ToolArguments() {}

  /**
   * The parsed object; {@code {}} for an empty text. Text that is not JSON stays a string node, so
   * that the tool's schema check rejects it and the model gets an error result, not a crash.
   */
  public static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode node = Json.MAPPER.readTree(text);
      return node == null ? Json.object() : node;
    } catch (Exception notJson) {
      return TextNode.valueOf(text);
    }
  }

  /** The JSON text of arguments for the wire; {@code {}} when there are none. */
  public static String text(JsonNode arguments) {
    if (arguments == null || arguments.isNull() || arguments.isMissingNode()) {
      return "{}";
    }
    return arguments.isTextual() ? arguments.asText() : arguments.toString();
  }
}
