package io.troupe.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.troupe.core.json.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An agent's output schema (JSON Schema, draft 2020-12 unless it says otherwise), compiled once: it
 * validates the model's final answer. {@link #parse} refuses a text that is not a JSON object, or
 * not a valid schema (checked against the draft's meta-schema), with a message for people.
 */
public final class OutputSchema {
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
      .locale(Locale.ENGLISH)
      .pathType(PathType.JSON_PATH)
      .formatAssertionsEnabled(true)
      .build();
  private static volatile JsonSchema metaSchema;

  private final JsonNode node;
  private final JsonSchema schema;

  private OutputSchema(JsonNode node, JsonSchema schema) {
    this.node = node;
    this.schema = schema;
  }

  /**
   * Compiles a schema given as JSON text.
   *
   * @throws IllegalArgumentException when it is not JSON, not an object, or not a valid JSON Schema
   */
  public static OutputSchema parse(String text) {
    JsonNode node;
    try {
      node = Json.parse(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("is not JSON: " + firstLine(e.getMessage()));
    }
    return of(node);
  }

  /** Compiles a schema given as JSON; see {@link #parse}. */
  public static OutputSchema of(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("must be a JSON object (a JSON Schema)");
    }
    List<String> problems = meta().validate(node).stream().map(ValidationMessage::getMessage).sorted().toList();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("is not a valid JSON Schema: " + String.join("; ", problems));
    }
    try {
      JsonSchema schema = FACTORY.getSchema(node, CONFIG);
      schema.initializeValidators();
      return new OutputSchema(node.deepCopy(), schema);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("is not a valid JSON Schema: " + firstLine(e.getMessage()));
    }
  }

  private static JsonSchema meta() {
    JsonSchema m = metaSchema;
    if (m == null) {
      // The meta-schemas ship inside the validator's jar: nothing is fetched.
      m = FACTORY.getSchema(SchemaLocation.of(JsonMetaSchema.getV202012().getIri()), CONFIG);
      m.initializeValidators();
      metaSchema = m;
    }
    return m;
  }

  /** The schema as JSON. */
  public JsonNode json() {
    return node;
  }

  /** The problems of {@code value} against the schema, sorted; empty when it is valid. */
  public List<String> validate(JsonNode value) {
    try {
      return schema.validate(value).stream().map(ValidationMessage::getMessage).sorted().toList();
    } catch (RuntimeException e) {
      return List.of("the answer could not be checked: " + firstLine(e.getMessage()));
    }
  }

  /**
   * Whether OpenAI's strict mode accepts the schema: every object lists all its properties as
   * required and sets {@code additionalProperties: false}. Otherwise the request asks without strict.
   */
  public boolean strictCompatible() {
    return strict(node);
  }

  private static boolean strict(JsonNode n) {
    if (n.isArray()) {
      for (JsonNode child : n) if (!strict(child)) return false;
      return true;
    }
    if (!n.isObject()) return true;
    JsonNode properties = n.get("properties");
    if (properties != null && properties.isObject()) {
      if (!n.path("additionalProperties").isBoolean() || n.path("additionalProperties").asBoolean()) return false;
      JsonNode required = n.path("required");
      for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        boolean listed = false;
        for (JsonNode r : required) listed |= r.asText().equals(name);
        if (!listed) return false;
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      if (!strict(it.next().getValue())) return false;
    }
    return true;
  }

  private static String firstLine(String message) {
    if (message == null) return "unreadable";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OutputSchema other && node.equals(other.node);
  }

  @Override
  public int hashCode() {
    return node.hashCode();
  }

  @Override
  public String toString() {
    return Json.write(node);
  }
}
