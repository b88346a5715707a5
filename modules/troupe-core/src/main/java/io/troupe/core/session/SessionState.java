package io.troupe.core.session;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ChatMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one session, rebuilt from its events (and snapshots). Mutable, changed only by the
 * entity's event handler. It is small on purpose: a finished intent leaves a summary of a few hundred
 * bytes here, only for the last {@code recent-intents}; its steps and events live in the trace store.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
final class SessionState implements CborSerializable {

  /** One intent as the session knows it; a running one also holds what a resume needs. */
  @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
      isGetterVisibility = JsonAutoDetect.Visibility.NONE)
  /** One approval of a tool call; {@code decision} is null while it is pending, else approve or reject. */
  record Approval(String id, String callId, String tool, JsonNode arguments, String argumentsHash, String policyVersion,
      String reason, long requestedNanos, String decision, String comment, long decidedNanos) {
    boolean decided() {
      return decision != null;
    }

    boolean approved() {
      return "approve".equals(decision);
    }

    Approval decided(boolean approve, String withComment, long at) {
      return new Approval(id, callId, tool, arguments, argumentsHash, policyVersion, reason, requestedNanos,
          approve ? "approve" : "reject", withComment, at);
    }
  }

  static final class IntentRecord {
    final String id;
    final String text;
    final JsonNode metadata;
    final String traceId;
    final long createdNanos;
    /** In a caller's trace (traceparent): the root span's own id, and the caller's span; else null. */
    String rootSpanId;
    String parentSpanId;
    /** The agent that runs it; null for {@code default} (and in events and snapshots from before named agents). */
    String agent;
    IntentStatus status = IntentStatus.ACCEPTED;
    long startedNanos;
    long finishedNanos;
    Outcome outcome;
    IntentUsage usage = IntentUsage.NONE;
    long lastEventSeq = 1;
    int resumes;
    /** While it runs: the conversation journaled so far (after the intent's text), and its side effects. */
    List<ChatMessage> committed;
    Set<String> effectsStarted;
    Map<String, ChatMessage> effectResults;

    /** The approvals this intent asked for, in order; null until the first. */
    List<Approval> approvals;

    void addApproval(Approval approval) {
      if (approvals == null) approvals = new ArrayList<>(1);
      approvals.add(approval);
    }

    int approvalCount() {
      return approvals == null ? 0 : approvals.size();
    }

    Approval approval(String id) {
      if (approvals == null) return null;
      for (Approval a : approvals) if (a.id().equals(id)) return a;
      return null;
    }

    /** The approval of exactly this call (same arguments, same policy version), or null. */
    Approval approvalFor(String callId, String argumentsHash, String policyVersion) {
      if (approvals == null) return null;
      for (int i = approvals.size() - 1; i >= 0; i--) {
        Approval a = approvals.get(i);
        if (a.callId().equals(callId) && a.argumentsHash().equals(argumentsHash)
            && java.util.Objects.equals(a.policyVersion(), policyVersion)) {
          return a;
        }
      }
      return null;
    }

    void decideApproval(String id, boolean approved, String comment, long decidedNanos) {
      if (approvals == null) return;
      for (int i = 0; i < approvals.size(); i++) {
        Approval a = approvals.get(i);
        if (a.id().equals(id) && !a.decided()) approvals.set(i, a.decided(approved, comment, decidedNanos));
      }
    }

    String agentOrDefault() {
      return agent == null || agent.isEmpty() ? io.troupe.core.agent.AgentSpec.DEFAULT : agent;
    }

    boolean hasPendingApproval() {
      return approvals != null && approvals.stream().anyMatch(a -> !a.decided());
    }

    @JsonCreator
    IntentRecord(@JsonProperty("id") String id, @JsonProperty("text") String text,
        @JsonProperty("metadata") JsonNode metadata, @JsonProperty("traceId") String traceId,
        @JsonProperty("createdNanos") long createdNanos) {
      this.id = id;
      this.text = text;
      this.metadata = metadata;
      this.traceId = traceId;
      this.createdNanos = createdNanos;
    }

    /** The root span of the intent's trace: its own id in a caller's trace, else derived from the trace id. */
    String spanOfRoot() {
      return rootSpanId != null ? rootSpanId : traceId == null || traceId.length() < 16 ? null
          : SessionEntity.rootSpanId(traceId);
    }

    void beginRun() {
      if (committed == null) {
        committed = new ArrayList<>();
        effectsStarted = new HashSet<>();
        effectResults = new HashMap<>();
      }
    }

    void endRun() {
      committed = null;
      effectsStarted = null;
      effectResults = null;
    }

    IntentView view(String sessionId, List<Step> steps, IntentUsage sessionUsage) {
      return new IntentView(id, sessionId, status, text, metadata, createdNanos, finishedNanos, outcome,
          steps == null ? List.of() : steps, usage, traceId, sessionUsage, agent);
    }
  }

  long intentsAccepted;
  IntentUsage usage = IntentUsage.NONE;
  final LinkedHashMap<String, IntentRecord> intents = new LinkedHashMap<>();
  final LinkedHashMap<String, String> intentByIdempotencyKey = new LinkedHashMap<>();
  /** Inbox intent id to the id of the intent accepted directly with its key (see InboxMerged). */
  final LinkedHashMap<String, String> mergedInboxIds = new LinkedHashMap<>();
  final Deque<String> queued = new ArrayDeque<>();
  String running;
  final List<ChatMessage> history = new ArrayList<>();
  /** Messages dropped from the front of {@link #history} so far: the absolute index of its first message. */
  long historyBase;
  /** The summary of older turns ({@link SessionEntity.HistorySummarized}), or null; it covers messages before {@link #summarizedThrough}. */
  String summary;
  long summarizedThrough;

  /** The intents accepted before the last erase ({@code DELETE /v1/sessions/{id}}). */
  long erasedThrough;

  /** Forgets everything but the count of intents, whose ids are never used again. */
  void erase(long accepted) {
    intentsAccepted = Math.max(intentsAccepted, accepted);
    erasedThrough = intentsAccepted;
    usage = IntentUsage.NONE;
    intents.clear();
    intentByIdempotencyKey.clear();
    mergedInboxIds.clear();
    queued.clear();
    running = null;
    historyBase += history.size();
    history.clear();
    summary = null;
    summarizedThrough = historyBase;
  }

  IntentRecord intent(String id) {
    return intents.get(id);
  }

  /** Inbox ids merged into the intent accepted directly with the same key (the newest kept). */
  void mergeInboxId(String inboxIntentId, String intentId, int keep) {
    mergedInboxIds.put(inboxIntentId, intentId);
    Iterator<String> it = mergedInboxIds.keySet().iterator();
    for (int excess = mergedInboxIds.size() - keep; excess > 0 && it.hasNext(); excess--) {
      it.next();
      it.remove();
    }
  }

  /** Drops the oldest finished intents past {@code keep}, and the oldest idempotency keys past {@code keys}. */
  void bound(int keep, int keys) {
    bound(keep, keys, null);
  }

  /** As {@link #bound(int, int)}, but keeps {@code spare} (an intent whose end is still being announced). */
  void bound(int keep, int keys, String spare) {
    if (intents.size() > keep) {
      Iterator<IntentRecord> it = intents.values().iterator();
      int excess = intents.size() - keep;
      while (it.hasNext() && excess > 0) {
        IntentRecord r = it.next();
        if (r.status.isTerminal() && !r.id.equals(spare)) {
          it.remove();
          excess--;
        }
      }
    }
    if (intentByIdempotencyKey.size() > keys) {
      Iterator<String> it = intentByIdempotencyKey.keySet().iterator();
      for (int excess = intentByIdempotencyKey.size() - keys; excess > 0 && it.hasNext(); excess--) {
        it.next();
        it.remove();
      }
    }
  }

  /**
   * Adds an intent's transcript to the history. Only the last {@code keep} messages are ever read
   * (the window a new intent sees): the older ones go at once.
   */
  void remember(List<ChatMessage> transcript, int keep) {
    remember(transcript, keep, 0);
  }

  /**
   * Adds an intent's transcript to the history, and drops what no agent can see any more: the older
   * of the last {@code keepMessages} messages and, with {@code keepTokens} (the largest
   * {@code memory.max-tokens} of the agents, 0: none), the turns before the newest ones that fitted
   * in it before this transcript. Those stay until the next intent has seen them drop out of its
   * window, so that a summary can take them in.
   */
  void remember(List<ChatMessage> transcript, int keepMessages, long keepTokens) {
    if (transcript == null) return;
    int tokenFrom = keepTokens > 0 ? HistoryWindow.start(history, keepTokens) : Integer.MAX_VALUE;
    history.addAll(transcript);
    int cut = Math.min(Math.max(0, history.size() - keepMessages), tokenFrom);
    if (cut > 0) {
      history.subList(0, cut).clear();
      historyBase += cut;
    }
    if (history instanceof ArrayList<ChatMessage> list) list.trimToSize();
  }

  /** A summary of the history before the absolute index {@code through}. */
  void summarized(String text, long through) {
    summary = text;
    summarizedThrough = Math.max(summarizedThrough, through);
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
