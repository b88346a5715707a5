package io.troupe.core.session;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ChatMessage;
import java.util.List;

/**
 * A session as {@code GET /v1/sessions/{id}} shows it: the intents it keeps (the last
 * {@code troupe.agent.recent-intents}, without their steps), how many it accepted in all, the
 * messages a next intent may see, what all its intents used, and the summary of its older turns
 * (null: none; see {@link HistoryWindow}).
 */
public record SessionView(String id, long intentsAccepted, List<IntentView> intents, List<ChatMessage> messages,
    IntentUsage usage, Summary summary) implements CborSerializable {

  public SessionView(String id, long intentsAccepted, List<IntentView> intents, List<ChatMessage> messages,
      IntentUsage usage) {
    this(id, intentsAccepted, intents, messages, usage, null);
  }

  /**
   * The summary of the session's older turns ({@code memory.summarize}).
   *
   * @param text what an agent that summarises sees before its window, as one system message
   * @param coversMessages how many of the first {@code messages} it also covers (they are older turns
   *     it holds; an agent that summarises does not see them again)
   */
  public record Summary(String text, long coversMessages) implements CborSerializable {}
}
