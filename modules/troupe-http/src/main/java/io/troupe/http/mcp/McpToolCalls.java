package io.troupe.http.mcp;

import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.tools.ToolResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Routes the tool calls of MCP hosts through the guardrail, as a session's agent loop does: one
 * {@link Guardrail.RouteToolCalls} per call, whose verdict comes here and whose result the registry
 * sends here. The edge asks this actor; it answers with the refusal or the result, whichever
 * settles the call, and forgets a call after {@code timeout}.
 */
public final class McpToolCalls {
  private McpToolCalls() {}

  public sealed interface Command {}

  /** Run {@code call} for the tenant's {@code sessionId}/{@code intentId} (what the tool's context names). */
  public record Call(ToolCall call, String intentId, String sessionId, ActorRef<Settled> replyTo) implements Command {}

  /** Exactly one of the two is set: the guardrail's refusal, or the registry's result. */
  public record Settled(Verdict refused, ToolResult result) {}

  private record Checked(Guardrail.Answer answer) implements Command {}

  private record Ran(ToolResult result) implements Command {}

  private record Forget(long corr) implements Command {}

  public static Behavior<Command> create(RecipientRef<Guardrail.Command> guardrail, Duration timeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<Guardrail.Answer> verdictsTo = ctx.messageAdapter(Guardrail.Answer.class, Checked::new);
      ActorRef<ToolResult> resultsTo = ctx.messageAdapter(ToolResult.class, Ran::new);
      Map<Long, ActorRef<Settled>> waiting = new HashMap<>();
      long[] nextCorr = {1};
      return Behaviors.receive(Command.class)
          .onMessage(Call.class, m -> {
            long corr = nextCorr[0]++;
            waiting.put(corr, m.replyTo());
            timers.startSingleTimer(corr, new Forget(corr), timeout);
            guardrail.tell(new Guardrail.RouteToolCalls(corr, m.intentId(), m.sessionId(), List.of(m.call()),
                List.of(0), List.of(), Map.of(), resultsTo, verdictsTo));
            return Behaviors.same();
          })
          .onMessage(Checked.class, m -> {
            if (m.answer() instanceof Guardrail.ToolsChecked checked && !checked.verdicts().get(0).passes()) {
              settle(waiting, timers, checked.corr(), new Settled(checked.verdicts().get(0), null));
            }
            return Behaviors.same();
          })
          .onMessage(Ran.class, m -> {
            settle(waiting, timers, m.result().corr(), new Settled(null, m.result()));
            return Behaviors.same();
          })
          .onMessage(Forget.class, m -> {
            waiting.remove(m.corr());
            return Behaviors.same();
          })
          .build();
    }));
  }

  private static void settle(Map<Long, ActorRef<Settled>> waiting,
      org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers, long corr, Settled settled) {
    ActorRef<Settled> replyTo = waiting.remove(corr);
    if (replyTo == null) return; // settled already, or forgotten
    timers.cancel(corr);
    replyTo.tell(settled);
  }
}
