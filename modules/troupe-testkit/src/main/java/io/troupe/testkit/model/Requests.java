package io.troupe.testkit.model;

import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Predicates over a model request, for choosing a {@link ScriptedModel} rule. */
public final class Requests {
  private Requests() {}

  /** Every request. */
  public static Predicate<ChatRequest> any() {
    return r -> true;
  }

  /** The last user message contains {@code text}. */
  public static Predicate<ChatRequest> lastUserMessageContains(String text) {
    return r -> lastUserMessage(r).contains(text);
  }

  /** The last user message matches {@code regex} somewhere. */
  public static Predicate<ChatRequest> lastUserMessageMatches(String regex) {
    Pattern p = Pattern.compile(regex);
    return r -> p.matcher(lastUserMessage(r)).find();
  }

  /** The request offers a tool of this name. */
  public static Predicate<ChatRequest> offersTool(String name) {
    return r -> r.tools().stream().anyMatch(t -> t.name().equals(name));
  }

  /** A tool result follows the last user message: the model is asked to go on after a tool turn. */
  public static Predicate<ChatRequest> hasToolResult() {
    return r -> !toolResultsSinceLastUser(r).isEmpty();
  }

  /** A result of the tool {@code name} follows the last user message. */
  public static Predicate<ChatRequest> hasToolResultFrom(String name) {
    return r -> toolResultsSinceLastUser(r).stream().anyMatch(m -> name.equals(m.name()));
  }

  /** The text of the last user message, or "" when there is none. */
  public static String lastUserMessage(ChatRequest r) {
    List<ChatMessage> ms = r.messages();
    for (int i = ms.size() - 1; i >= 0; i--) {
      if (ms.get(i).role() == ChatMessage.Role.USER) {
        return ms.get(i).content();
      }
    }
    return "";
  }

  /** The tool messages after the last user message, in order. */
  public static List<ChatMessage> toolResultsSinceLastUser(ChatRequest r) {
    List<ChatMessage> ms = r.messages();
    int i = ms.size() - 1;
    while (i >= 0 && ms.get(i).role() != ChatMessage.Role.USER) {
      i--;
    }
    return ms.subList(i + 1, ms.size()).stream().filter(m -> m.role() == ChatMessage.Role.TOOL).toList();
  }
}
