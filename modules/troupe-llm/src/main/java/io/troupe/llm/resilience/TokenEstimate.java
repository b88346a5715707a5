package io.troupe.llm.resilience;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.util.IdentityHashMap;
import java.util.Map;

/** A request's token count before the provider says: about one token per {@code charsPerToken} characters. */
public final class TokenEstimate {
  private TokenEstimate() {}

  /** The length of each tool schema seen lately, by identity: the published catalog's specs repeat. */
  private static final Map<JsonNode, Integer> SCHEMA_CHARS = new IdentityHashMap<>();
  private static final int MAX_SCHEMAS = 1024;

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
      chars += t.parameters() == null ? 0 : schemaChars(t.parameters());
    }
    return Math.max(1, chars / Math.max(1, charsPerToken)) + Math.max(0, request.maxOutputTokens());
  }

  private static int schemaChars(JsonNode schema) {
    synchronized (SCHEMA_CHARS) {
      Integer known = SCHEMA_CHARS.get(schema);
      if (known != null) return known;
      if (SCHEMA_CHARS.size() >= MAX_SCHEMAS) SCHEMA_CHARS.clear();
      int chars = (int) Json.compactLength(schema);
      SCHEMA_CHARS.put(schema, chars);
      return chars;
    }
  }
}
