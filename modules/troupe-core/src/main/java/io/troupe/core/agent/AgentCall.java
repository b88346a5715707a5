package io.troupe.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.TraceParent;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * One call of an agent as a tool, after the guardrail allowed it: submits the child intent to its
 * own session (with the call's idempotency key, so a second submit finds the first) and answers the
 * caller with the child's answer as the tool result once the child is terminal. Then it stops.
 *
 * <p>It submits again every {@code recheck}: a child whose node was lost forgets who waits for it, and
 * the same key finds the child (resumed elsewhere) instead of starting another. The parent's deadline
 * bounds the wait.
 */
public final class AgentCall {

  public sealed interface Command {}

  private record ChildEnded(StatusReply<IntentView> reply) implements Command {}

  private record Recheck() implements Command {}

  /** The key of the child's metadata that names its parent run; read back for the depth and budget. */
  public static final String METADATA_KEY = "troupe.parent";

  private AgentCall() {}

  @SuppressWarnings("unchecked")
  public static Behavior<Command> create(long corr, ToolCall call, ToolContext context, ChildRun run,
      ActorRef<ToolResult> replyTo, Function<String, RecipientRef<SessionEntity.Command>> sessions,
      Duration recheck) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<StatusReply<IntentView>> ended =
          ctx.messageAdapter((Class<StatusReply<IntentView>>) (Class<?>) StatusReply.class, ChildEnded::new);
      ObjectNode metadata = Json.object();
      metadata.putObject(METADATA_KEY).put("intentId", context.intentId()).put("callId", call.id())
          .put("depth", run.depth()).put("maxSteps", run.maxSteps());
      String session = AgentTools.childSession(context.intentId(), context.idempotencyKey());
      TraceParent parent = run.traceParent() == null ? null : TraceParent.parse(run.traceParent()).orElse(null);
      var submit = new SessionEntity.SubmitAndWait(AgentTools.input(call.arguments()), metadata,
          context.idempotencyKey(), ended, parent, run.agent());
      RecipientRef<SessionEntity.Command> child = sessions.apply(session);
      child.tell(submit);
      if (recheck != null && !recheck.isZero()) timers.startTimerWithFixedDelay(new Recheck(), recheck);
      return Behaviors.receive(Command.class)
          .onMessage(Recheck.class, m -> {
            child.tell(submit);
            return Behaviors.same();
          })
          .onMessage(ChildEnded.class, m -> {
            replyTo.tell(result(call, run.agent(), m.reply()).answering(corr));
            return Behaviors.stopped();
          })
          .build();
    }));
  }

  /** The child's answer (its JSON output when it has a schema), or why it failed. */
  static ToolResult result(ToolCall call, String agent, StatusReply<IntentView> reply) {
    if (reply.isError()) {
      return ToolResult.failed(call.id(), call.name(), "the agent '" + agent + "' could not run: "
          + reply.getError().getMessage());
    }
    IntentView child = reply.getValue();
    Outcome o = child.outcome();
    if (child.status() == IntentStatus.SUCCEEDED && o != null) {
      JsonNode output = o.output() != null && !o.output().isNull() ? o.output() : TextNode.valueOf(o.answer());
      return ToolResult.ok(call.id(), call.name(), output).withUsage(child.usage());
    }
    String why = o == null ? child.status().json() : o.errorCode() + ": " + o.error();
    return ToolResult.failed(call.id(), call.name(), "the agent '" + agent + "' ended " + child.status().json()
        + " (" + why + ")").withUsage(child.usage());
  }
}
