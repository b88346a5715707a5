package io.troupe.tools.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import java.time.Duration;
import java.util.Objects;

/** Builds one tool; start with {@link Tools#builder(String)}. Not thread-safe. */
public final class ToolBuilder {
  private final String name;
  private String description = "";
  private final ObjectNode properties = Json.object();
  private final ArrayNode required = Json.array();
  private Tool.Effect effect = Tool.Effect.READ_ONLY;
  private boolean blocking;
  private Duration timeout;
  private int maxConcurrent;
  private int maxQueue = -1;
  private ToolHandler handler;

  ToolBuilder(String name) {
    this.name = Tools.checkName(name);
  }

  public ToolBuilder description(String description) {
    this.description = Objects.requireNonNull(description, "description");
    return this;
  }

  /** A parameter of a simple type. */
  public ToolBuilder param(String name, ParamType type, String description, boolean required) {
    ObjectNode schema = Json.object().put("type", type.jsonType());
    if (type == ParamType.OBJECT) schema.put("additionalProperties", true);
    return param(name, schema, description, required);
  }

  /** A parameter with a schema of its own (e.g. {@code Tools.schemaOf(MyRecord.class)}). */
  public ToolBuilder param(String name, JsonNode schema, String description, boolean required) {
    Objects.requireNonNull(name, "name");
    if (properties.has(name)) throw new IllegalArgumentException("parameter '" + name + "' given twice");
    ObjectNode s = schema.deepCopy();
    if (s.isObject() && description != null && !description.isBlank()) ((ObjectNode) s).put("description", description);
    properties.set(name, s);
    if (required) this.required.add(name);
    return this;
  }

  /** A string parameter that must be one of {@code values}. */
  public ToolBuilder enumParam(String name, String description, boolean required, String... values) {
    ObjectNode schema = Json.object().put("type", "string");
    ArrayNode e = schema.putArray("enum");
    for (String v : values) e.add(v);
    return param(name, schema, description, required);
  }

  public ToolBuilder effect(Tool.Effect effect) {
    this.effect = Objects.requireNonNull(effect, "effect");
    return this;
  }

  /** Whether the handler blocks: then it runs on the tools' blocking dispatcher. */
  public ToolBuilder blocking(boolean blocking) {
    this.blocking = blocking;
    return this;
  }

  public ToolBuilder timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  public ToolBuilder maxConcurrent(int maxConcurrent) {
    if (maxConcurrent < 0) throw new IllegalArgumentException("maxConcurrent must be >= 0");
    this.maxConcurrent = maxConcurrent;
    return this;
  }

  public ToolBuilder maxQueue(int maxQueue) {
    this.maxQueue = maxQueue;
    return this;
  }

  public ToolBuilder handler(ToolHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  /** The JSON Schema of the parameters given so far. */
  public ObjectNode schema() {
    ObjectNode schema = Json.object().put("type", "object");
    schema.set("properties", properties.deepCopy());
    if (!required.isEmpty()) schema.set("required", required.deepCopy());
    schema.put("additionalProperties", false);
    return schema;
  }

  public LimitedTool build() {
    if (handler == null) throw new IllegalStateException("tool '" + name + "' has no handler");
    return new JavaTool(new ToolSpec(name, description, schema()),
        blocking ? Tool.Kind.BLOCKING : Tool.Kind.ASYNC, effect,
        new ToolLimits(timeout, maxConcurrent, maxQueue), handler);
  }
}
