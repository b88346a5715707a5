package io.troupe.tools;

/**
 * A tool failure whose message the model sees as it is: say what went wrong and, where it helps,
 * what to do instead. The registry turns it into an error {@link io.troupe.core.tools.ToolResult}.
 */
public class ToolException extends RuntimeException {
  public ToolException(String message) {
    super(message, null, false, false);
  }
}
