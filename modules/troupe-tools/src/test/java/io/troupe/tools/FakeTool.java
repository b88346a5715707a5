package io.troupe.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/** A test tool: a name, an optional schema, a kind, and what invoking it does. */
final class FakeTool implements Tool {
  private final ToolSpec spec;
  private final Kind kind;
  private final BiFunction<JsonNode, ToolContext, CompletionStage<JsonNode>> body;

  FakeTool(String name, JsonNode parameters, Kind kind, BiFunction<JsonNode, ToolContext, CompletionStage<JsonNode>> body) {
    this.spec = new ToolSpec(name, "test tool " + name, parameters);
    this.kind = kind;
    this.body = body;
  }

  static FakeTool async(String name, BiFunction<JsonNode, ToolContext, CompletionStage<JsonNode>> body) {
    return new FakeTool(name, openSchema(), Kind.ASYNC, body);
  }

  static ObjectNode openSchema() {
    return Json.object().put("type", "object");
  }

  @Override
  public ToolSpec spec() {
    return spec;
  }

  @Override
  public Kind kind() {
    return kind;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    return body.apply(arguments, context);
  }
}
