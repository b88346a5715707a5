package io.troupe.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.troupe.core.json.Json;
import java.util.List;
import java.util.Locale;

/**
 * Checks tool arguments against the tool's JSON Schema (draft 2020-12 unless the schema says
 * otherwise). A schema that does not compile gives a validator that rejects every call with the
 * reason, so that one broken tool cannot take the registry down.
 */
final class ArgumentValidator {
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder()
          .locale(Locale.ENGLISH)
          .pathType(PathType.JSON_PATH) // "$.k" reads better to a model than "/k"
          .formatAssertionsEnabled(true)
          .build();

  private final JsonSchema schema;
  private final String broken;

  private ArgumentValidator(JsonSchema schema, String broken) {
    this.schema = schema;
    this.broken = broken;
  }

  static ArgumentValidator compile(JsonNode parameters) {
    JsonNode node = parameters == null || parameters.isNull() ? Json.object().put("type", "object") : parameters;
    try {
      JsonSchema schema = FACTORY.getSchema(node, CONFIG);
      schema.initializeValidators();
      return new ArgumentValidator(schema, null);
    } catch (RuntimeException e) {
      return new ArgumentValidator(null, "the tool's parameter schema is invalid: " + e.getMessage());
    }
  }

  /** Whether the schema compiled; if not, {@link #validate} always fails with the reason. */
  boolean usable() {
    return broken == null;
  }

  /** The problems with {@code arguments}, sorted; empty when they are valid. */
  List<String> validate(JsonNode arguments) {
    if (broken != null) {
      return List.of(broken);
    }
    try {
      return schema.validate(arguments).stream().map(ValidationMessage::getMessage).sorted().toList();
    } catch (RuntimeException e) {
      return List.of("the arguments could not be checked: " + e.getMessage());
    }
  }
}
