package io.troupe.testkit.sim;

import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ToolCall;
import java.util.List;

/** Checks that a conversation is one a model provider accepts. */
public final class Histories {
  private Histories() {}

  /**
   * Null when every assistant turn's tool calls are followed by exactly one result each, in call
   * order, and no tool result stands alone; otherwise what is wrong.
   */
  public static String problem(List<ChatMessage> messages) {
    int i = 0;
    while (i < messages.size()) {
      ChatMessage m = messages.get(i);
      if (m.role() == ChatMessage.Role.TOOL) {
        return "message " + i + " is a tool result for " + m.toolCallId() + " with no call before it";
      }
      i++;
      if (m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty()) {
        for (ToolCall call : m.toolCalls()) {
          if (i >= messages.size()) {
            return "the call " + call.id() + " (" + call.name() + ") has no result";
          }
          ChatMessage r = messages.get(i);
          if (r.role() != ChatMessage.Role.TOOL || !call.id().equals(r.toolCallId())) {
            return "message " + i + " should be the result of " + call.id() + " but is "
                + r.role().name().toLowerCase(java.util.Locale.ROOT)
                + (r.toolCallId() == null ? "" : " for " + r.toolCallId());
          }
          i++;
        }
      }
    }
    return null;
  }
}
