package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.llm.ChatMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one session, rebuilt from its events. Mutable, and changed only by the entity's
 * event handler.
 */
final class SessionState {

  /** One intent as the session knows it. */
  static final class IntentRecord {
    final String id;
    final String text;
    final JsonNode metadata;
    final String traceId;
    final long createdNanos;
    IntentStatus status = IntentStatus.ACCEPTED;
    long startedNanos;
    long finishedNanos;
    Outcome outcome;
    IntentUsage usage = IntentUsage.NONE;
    final List<Step> steps = new ArrayList<>();
    final List<IntentEvent> events = new ArrayList<>();
    /** The tool turns of the run so far, kept while it runs so that it can resume after a crash. */
    final List<ToolTurn> turns = new ArrayList<>();
    int resumes;

    IntentRecord(String id, String text, JsonNode metadata, String traceId, long createdNanos) {
      this.id = id;
      this.text = text;
      this.metadata = metadata;
      this.traceId = traceId;
      this.createdNanos = createdNanos;
    }

    long lastEventSeq() {
      return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
    }

    IntentView view(String sessionId, IntentUsage sessionUsage) {
      return new IntentView(id, sessionId, status, text, metadata, createdNanos, finishedNanos, outcome,
          List.copyOf(steps), usage, traceId, sessionUsage);
    }
  }

  /** One tool turn of a run: the model's calls, the results journaled so far, and the side effects begun. */
  static final class ToolTurn {
    final ChatMessage assistant;
    final Map<String, ChatMessage> results = new HashMap<>();
    final Set<String> effectsStarted = new HashSet<>();

    ToolTurn(ChatMessage assistant) {
      this.assistant = assistant;
    }

    AgentRun.ResumedTurn resumed() {
      return new AgentRun.ResumedTurn(assistant, Map.copyOf(results), Set.copyOf(effectsStarted));
    }
  }

  long intentsAccepted;
  IntentUsage usage = IntentUsage.NONE;
  final Map<String, IntentRecord> intents = new LinkedHashMap<>();
  final Map<String, String> intentByIdempotencyKey = new HashMap<>();
  final Deque<String> queued = new ArrayDeque<>();
  String running;
  final List<ChatMessage> history = new ArrayList<>();

  IntentRecord intent(String id) {
    return intents.get(id);
  }

  /**
   * Adds an intent's transcript to the history. Only the last {@code keep} messages are ever read
   * (the window a new intent sees), so once it holds twice that many the oldest go: a long-lived
   * session does not grow without bound.
   */
  void remember(List<ChatMessage> transcript, int keep) {
    history.addAll(transcript);
    int bound = Math.max(2 * keep, 16);
    if (history.size() > bound) {
      history.subList(0, history.size() - Math.max(keep, 8)).clear();
    }
  }

  List<ChatMessage> recentHistory(int max) {
    int from = Math.max(0, history.size() - max);
    // Never start the window on a tool result whose call is cut off.
    while (from < history.size() && history.get(from).role() == ChatMessage.Role.TOOL) {
      from++;
    }
    return List.copyOf(history.subList(from, history.size()));
  }
}
