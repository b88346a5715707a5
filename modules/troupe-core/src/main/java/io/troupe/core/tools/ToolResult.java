package io.troupe.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.session.IntentUsage;

/**
 * The result of one tool call. On failure {@code output} is null and {@code error} says why in
 * words a model can act on. {@code usage}: what an agent called as a tool spent (its child intent's
 * usage, which counts against the caller's budget); null for any other tool.
 */
public record ToolResult(long corr, String callId, String name, JsonNode output, String error, IntentUsage usage)
    implements CborSerializable {

  public ToolResult(long corr, String callId, String name, JsonNode output, String error) {
    this(corr, callId, name, output, error, null);
  }

  public ToolResult(String callId, String name, JsonNode output, String error) {
    this(0, callId, name, output, error, null);
  }

  public static ToolResult ok(String callId, String name, JsonNode output) {
    return new ToolResult(0, callId, name, output, null, null);
  }

  public static ToolResult failed(String callId, String name, String error) {
    return new ToolResult(0, callId, name, null, error, null);
  }

  /** The same result, answering the request {@code corr}. */
  public ToolResult answering(long corr) {
    return corr == this.corr ? this : new ToolResult(corr, callId, name, output, error, usage);
  }

  /** The same result, with what producing it spent. */
  public ToolResult withUsage(IntentUsage spent) {
    return new ToolResult(corr, callId, name, output, error, spent);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore // not a property: Jackson would write it over `error`
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
