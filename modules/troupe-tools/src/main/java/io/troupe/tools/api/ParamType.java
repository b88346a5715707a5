package io.troupe.tools.api;

/** JSON Schema types of a builder parameter. */
public enum ParamType {
  STRING("string"),
  INTEGER("integer"),
  NUMBER("number"),
  BOOLEAN("boolean"),
  OBJECT("object"),
  ARRAY("array");

  private final String jsonType;

  ParamType(String jsonType) {
    this.jsonType = jsonType;
  }

  /** The JSON Schema {@code type}. */
  public String jsonType() {
    return jsonType;
  }
}
