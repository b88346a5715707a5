package io.troupe.llm.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A tool registry for intent tests, answering like the real one (troupe-tools) does: two tools,
 * {@code calculator} and {@code current_time}; an unknown tool or arguments that fail the schema
 * get an error result, never a missing reply.
 */
final class FakeToolRegistry {
  private FakeToolRegistry() {}

  static final List<ToolSpec> SPECS = List.of(
      new ToolSpec("calculator", "Evaluates an arithmetic expression.", Json.parse(
          "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},\"required\":[\"expression\"]}")),
      new ToolSpec("current_time", "The current time in a time zone.", Json.parse(
          "{\"type\":\"object\",\"properties\":{\"timezone\":{\"type\":\"string\"}}}")));

  static Behavior<ToolRegistry.Command> create() {
    return Behaviors.receive(ToolRegistry.Command.class)
        .onMessage(Lifecycle.Init.class, m -> {
          m.replyTo().tell(Lifecycle.Initialized.ok("tool-registry"));
          return Behaviors.same();
        })
        .onMessage(ToolRegistry.ListTools.class, m -> {
          m.replyTo().tell(new ToolRegistry.ToolList(SPECS));
          return Behaviors.same();
        })
        .onMessage(ToolRegistry.Execute.class, m -> {
          m.reply(execute(m));
          return Behaviors.same();
        })
        .build();
  }

  private static ToolResult execute(ToolRegistry.Execute m) {
    String id = m.call().id();
    String name = m.call().name();
    JsonNode args = m.call().arguments() == null ? Json.object() : m.call().arguments();
    switch (name) {
      case "calculator" -> {
        JsonNode expression = args.get("expression");
        if (expression == null || !expression.isTextual()) {
          return ToolResult.failed(id, name, "invalid arguments for 'calculator': $.expression: "
              + (expression == null ? "is missing but it is required" : expression.getNodeType().name().toLowerCase()
                  + " found, string expected"));
        }
        double result = expression.asText().contains("17%") ? 397.8 : 42;
        return ToolResult.ok(id, name, Json.object().put("expression", expression.asText()).put("result", result));
      }
      case "current_time" -> {
        return ToolResult.ok(id, name, Json.object().put("timezone", args.path("timezone").asText("UTC"))
            .put("iso", "2026-11-28T01:00:00Z"));
      }
      default -> {
        return ToolResult.failed(id, name, "unknown tool '" + name + "'; available tools: calculator, current_time");
      }
    }
  }
}
