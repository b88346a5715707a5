package io.troupe.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;

/**
 * The result of one tool call. On failure {@code output} is null and {@code error} says why in
 * words a model can act on.
 */
public record ToolResult(long corr, String callId, String name, JsonNode output, String error)
    implements CborSerializable {

  public ToolResult(String callId, String name, JsonNode output, String error) {
    this(0, callId, name, output, error);
  }

  public static ToolResult ok(String callId, String name, JsonNode output) {
    return new ToolResult(0, callId, name, output, null);
  }

  public static ToolResult failed(String callId, String name, String error) {
    return new ToolResult(0, callId, name, null, error);
  }

  /** The same result, answering the request {@code corr}. */
  public ToolResult answering(long corr) {
    return corr == this.corr ? this : new ToolResult(corr, callId, name, output, error);
  }

  public boolean isError() {
    return error != null;
  }

  /** The text a model sees as the tool message. */
  public String contentForModel() {
    if (isError()) {
      return "{\"error\":" + io.troupe.core.json.Json.write(error) + "}";
    }
    return output == null ? "null" : output.toString();
  }
}
