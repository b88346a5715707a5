package io.troupe.llm.resilience;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;

/** A request's token count before the provider says: about one token per {@code charsPerToken} characters. */
public final class TokenEstimate {
  private TokenEstimate() {}

  public static long of(ChatRequest request, int charsPerToken) {
    long chars = 0;
    for (ChatMessage m : request.messages()) {
      chars += m.content().length();
      for (ToolCall c : m.toolCalls()) {
        chars += c.name() == null ? 0 : c.name().length();
        chars += c.arguments() == null ? 0 : Json.compactLength(c.arguments());
      }
    }
    for (ToolSpec t : request.tools()) {
      chars += t.name().length() + (t.description() == null ? 0 : t.description().length());
      chars += t.parameters() == null ? 0 : Json.compactLength(t.parameters());
    }
    return Math.max(1, chars / Math.max(1, charsPerToken)) + Math.max(0, request.maxOutputTokens());
  }
}
