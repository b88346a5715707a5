package io.troupe.core.session;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ChatMessage;
import java.util.List;

/**
 * A session as {@code GET /v1/sessions/{id}} shows it: the intents it keeps (the last
 * {@code troupe.agent.recent-intents}, without their steps), how many it accepted in all, the
 * messages a next intent sees, and what all its intents used.
 */
public record SessionView(String id, long intentsAccepted, List<IntentView> intents, List<ChatMessage> messages,
    IntentUsage usage) implements CborSerializable {}
