package io.troupe.core.llm;

import io.troupe.core.CborSerializable;
import java.util.List;

/**
 * One message of a conversation, in a provider-neutral shape.
 *
 * @param role system, user, assistant or tool
 * @param content text; may be empty for an assistant turn that only calls tools
 * @param toolCalls the tool calls of an assistant turn (empty otherwise)
 * @param toolCallId for a tool message: the id of the call it answers
 * @param name for a tool message: the tool's name
 */
public record ChatMessage(
    Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name)
    implements CborSerializable {

  public enum Role {
    SYSTEM,
    USER,
    ASSISTANT,
    TOOL
  }

  public ChatMessage {
    content = content == null ? "" : content;
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  public static ChatMessage system(String text) {
    return new ChatMessage(Role.SYSTEM, text, List.of(), null, null);
  }

  public static ChatMessage user(String text) {
    return new ChatMessage(Role.USER, text, List.of(), null, null);
  }

  public static ChatMessage assistant(String text) {
    return new ChatMessage(Role.ASSISTANT, text, List.of(), null, null);
  }

  public static ChatMessage assistantToolCalls(String text, List<ToolCall> calls) {
    return new ChatMessage(Role.ASSISTANT, text, calls, null, null);
  }

  public static ChatMessage toolResult(String toolCallId, String toolName, String content) {
    return new ChatMessage(Role.TOOL, content, List.of(), toolCallId, toolName);
  }
}
