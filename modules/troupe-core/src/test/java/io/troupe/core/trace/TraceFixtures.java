package io.troupe.core.trace;

import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.Step;
import java.util.List;

/** Intents, steps and events with every field set, for the trace tests (also used by troupe-db's). */
public final class TraceFixtures {
  private TraceFixtures() {}

  /** A finished intent's view, without steps (as the session entity passes it to finish). */
  public static IntentView view(String intentId, String sessionId) {
    return new IntentView(intentId, sessionId, IntentStatus.SUCCEEDED, "how many orders? \u00e9\u4e2d",
        Json.object().put("tenant", "acme").put("n", 3), 1_700_000_000_123_456_789L, 1_700_000_001_987_654_321L,
        Outcome.answered("40 orders"), List.of(), new IntentUsage(120, 30, 2, 1, 0.0125), Ids.traceId(),
        new IntentUsage(240, 60, 4, 2, 0.025));
  }

  /** A failed intent with the optional fields null. */
  public static IntentView sparseView(String intentId, String sessionId) {
    return new IntentView(intentId, sessionId, IntentStatus.FAILED, "x", null, 1L, 2L,
        Outcome.failed("max_steps", "too many steps", "retry"), List.of(), IntentUsage.NONE, null, null);
  }

  public static Step step(int seq, String parent) {
    return new Step(seq, "tool", "sql", "ok", 1_700_000_000_200_000_000L + seq, 1_700_000_000_300_000_000L + seq,
        Json.object().put("rows", 40).set("args", Json.array().add("a").add(1.5)), Ids.spanId(), parent);
  }

  public static IntentEvent event(long seq) {
    return new IntentEvent(seq, "step.finished", 1_700_000_000_400_000_000L + seq, Json.object().put("seq", (int) seq));
  }

  /** A stored intent with two steps and two events. */
  public static StoredIntent stored(String intentId, String sessionId) {
    Step root = step(1, null);
    return new StoredIntent(TraceStore.withSteps(view(intentId, sessionId), List.of(root, step(2, root.spanId()))),
        List.of(event(1), event(2)));
  }
}
