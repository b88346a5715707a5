package io.troupe.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.Errors;
import io.troupe.core.session.EventStream;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentIds;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.Step;
import io.troupe.core.trace.TraceClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * A stand-in for one session entity. An intent whose text contains "slow" keeps running until it
 * is cancelled; any other intent finishes at once with the answer "echo: text" and a small trace
 * (a guardrail allow, then a tool call).
 */
final class FakeSession {
  private FakeSession() {}

  private static final class State {
    final String sessionId;
    final Map<String, IntentView> intents = new HashMap<>();
    final Map<String, List<IntentEvent>> events = new HashMap<>();
    final Map<String, String> byKey = new HashMap<>();
    final Map<String, List<ActorRef<StatusReply<IntentView>>>> waiters = new HashMap<>();
    final Map<String, List<ActorRef<EventStream.Message>>> subscribers = new HashMap<>();
    long next = 1;

    State(String sessionId) {
      this.sessionId = sessionId;
    }
  }

  static Behavior<SessionEntity.Command> create(String sessionId) {
    State state = new State(sessionId);
    return Behaviors.receive(SessionEntity.Command.class)
        .onMessage(SessionEntity.Submit.class, m -> {
          IntentView v = submit(state, m.text(), m.metadata(), m.idempotencyKey(), m.traceParent());
          m.replyTo().tell(StatusReply.success(v));
          return Behaviors.same();
        })
        .onMessage(SessionEntity.SubmitAndWait.class, m -> {
          IntentView v = state.intents.get(submit(state, m.text(), m.metadata(), m.idempotencyKey(), m.traceParent()).id());
          if (v.status().isTerminal()) m.replyTo().tell(StatusReply.success(v));
          else state.waiters.computeIfAbsent(v.id(), k -> new ArrayList<>()).add(m.replyTo());
          return Behaviors.same();
        })
        .onMessage(SessionEntity.Get.class, m -> {
          IntentView v = state.intents.get(m.intentId());
          m.replyTo().tell(v == null ? notFound(m.intentId()) : StatusReply.success(v));
          return Behaviors.same();
        })
        .onMessage(SessionEntity.AwaitTerminal.class, m -> {
          IntentView v = state.intents.get(m.intentId());
          if (v == null) {
            m.replyTo().tell(notFound(m.intentId()));
          } else if (v.status().isTerminal()) {
            m.replyTo().tell(StatusReply.success(v));
          } else {
            state.waiters.computeIfAbsent(m.intentId(), k -> new ArrayList<>()).add(m.replyTo());
          }
          return Behaviors.same();
        })
        .onMessage(SessionEntity.Subscribe.class, m -> {
          IntentView v = state.intents.get(m.intentId());
          if (v == null) {
            m.subscriber().tell(new EventStream.NotFound(m.intentId()));
            return Behaviors.same();
          }
          state.events.get(m.intentId()).stream()
              .filter(e -> e.seq() > m.afterSeq())
              .forEach(e -> m.subscriber().tell(new EventStream.Item(e)));
          if (v.status().isTerminal()) {
            m.subscriber().tell(new EventStream.Completed());
          } else {
            state.subscribers.computeIfAbsent(m.intentId(), k -> new ArrayList<>()).add(m.subscriber());
          }
          return Behaviors.same();
        })
        .onMessage(SessionEntity.Cancel.class, m -> {
          IntentView v = state.intents.get(m.intentId());
          if (v == null) {
            m.replyTo().tell(notFound(m.intentId()));
          } else if (v.status().isTerminal()) {
            m.replyTo().tell(StatusReply.error(Errors.of(Errors.CONFLICT, "intent " + m.intentId() + " is already " + v.status().json())));
          } else {
            long now = TraceClock.nowEpochNanos();
            IntentView cancelled = withStatus(v, IntentStatus.CANCELLED,
                Outcome.failed("cancelled", "cancelled by the client", "none"), now);
            state.intents.put(m.intentId(), cancelled);
            IntentEvent end = new IntentEvent(2, "intent.cancelled", now, Json.object());
            state.events.get(m.intentId()).add(end);
            state.waiters.getOrDefault(m.intentId(), List.of()).forEach(w -> w.tell(StatusReply.success(cancelled)));
            state.subscribers.getOrDefault(m.intentId(), List.of()).forEach(s -> {
              s.tell(new EventStream.Item(end));
              s.tell(new EventStream.Completed());
            });
            m.replyTo().tell(StatusReply.success(cancelled));
          }
          return Behaviors.same();
        })
        .build();
  }

  private static StatusReply<IntentView> notFound(String id) {
    return StatusReply.error(Errors.of(Errors.NOT_FOUND, "no intent " + id));
  }

  private static IntentView withStatus(IntentView v, IntentStatus status, Outcome outcome, long finished) {
    return new IntentView(v.id(), v.sessionId(), status, v.text(), v.metadata(), v.createdNanos(), finished, outcome,
        v.steps(), v.usage(), v.traceId());
  }

  /** Done at once, with a guardrail allow and a tool call under the root span. */
  private static IntentView finished(IntentView v, long now) {
    String root = "b7ad6b7169203331";
    ObjectNode args = Json.object().put("expression", "2 + 2");
    List<Step> steps = List.of(
        new Step(1, "guardrail", "tool_call calculator", "allow", now + 1_000, now + 2_000, args, "00000000000000a1", root),
        new Step(2, "tool", "calculator", "ok", now + 3_000, now + 9_000, Json.object().put("result", 4), "00000000000000a2", root),
        new Step(3, "model", "model", "ok", now + 10_000, now + 20_000, Json.object(), "00000000000000a3", root));
    return new IntentView(v.id(), v.sessionId(), IntentStatus.SUCCEEDED, v.text(), v.metadata(), v.createdNanos(),
        now + 30_000, Outcome.answered("echo: " + v.text()), steps, new IntentUsage(10, 5, 1, 1), v.traceId());
  }

  /** Accepts an intent as the real session does (idempotency keys dedupe); the accepted view. */
  private static IntentView submit(State state, String text, com.fasterxml.jackson.databind.JsonNode metadata,
      String key, io.troupe.core.trace.TraceParent caller) {
    if (key != null && state.byKey.containsKey(key)) {
      return state.intents.get(state.byKey.get(key));
    }
    String id = IntentIds.of(state.sessionId, state.next++);
    long now = TraceClock.nowEpochNanos();
    IntentView accepted = new IntentView(id, state.sessionId, IntentStatus.ACCEPTED, text, metadata,
        now, 0, null, List.of(), IntentUsage.NONE, caller != null ? caller.traceId() : "0af7651916cd43dd8448eb211c80319c");
    List<IntentEvent> events = new ArrayList<>();
    events.add(new IntentEvent(1, "intent.accepted", now, Json.object().put("text", text)));
    state.events.put(id, events);
    if (key != null) {
      state.byKey.put(key, id);
    }
    if (text.contains("slow")) {
      state.intents.put(id, withStatus(accepted, IntentStatus.RUNNING, null, 0));
    } else {
      events.add(new IntentEvent(2, "tool.started", now + 1, Json.object().put("tool", "calculator")));
      events.add(new IntentEvent(3, "intent.succeeded", now + 2, Json.object().put("answer", "echo: " + text)));
      state.intents.put(id, finished(accepted, now));
    }
    return accepted;
  }
}
