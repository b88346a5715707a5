package io.troupe.core.tools;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/** Protocol of the tool registry subsystem (implemented in troupe-tools). */
public final class ToolRegistry {
  private ToolRegistry() {}

  public interface Command {}

  public record ListTools(ActorRef<ToolList> replyTo) implements Command, CborSerializable {}

  /** The tools' specs, and the names of those that change the world ({@link Tool.Effect#SIDE_EFFECTING}). */
  public record ToolList(List<ToolSpec> tools, List<String> sideEffecting) implements CborSerializable {
    public ToolList(List<ToolSpec> tools) {
      this(tools, List.of());
    }

    public boolean isSideEffecting(String name) {
      return sideEffecting != null && sideEffecting.contains(name);
    }
  }

  /**
   * Validates the call's arguments against the tool's schema and runs it. Always answers with a
   * {@link ToolResult}: an unknown tool, bad arguments, a timeout or a failure become an error
   * result, never a missing reply.
   */
  public record Execute(long corr, ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo)
      implements Command, CborSerializable {
    public Execute(ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo) {
      this(0, call, context, replyTo);
    }

    /** Answers {@code result} to the caller, with this call's correlation id. */
    public void reply(ToolResult result) {
      replyTo.tell(result.answering(corr));
    }
  }

  /**
   * Settles a side-effecting call that was started before a crash and has no recorded result: the
   * tool's {@link Tool#reconcile} says whether it took effect. Applied: its output. Not applied: the
   * call runs now, with the same idempotency key. Unknown: an error result that says so; the call
   * is not run again. A tool without side effects simply runs again.
   */
  public record Reconcile(long corr, ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo)
      implements Command, CborSerializable {
    public Reconcile(ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo) {
      this(0, call, context, replyTo);
    }

    public void reply(ToolResult result) {
      replyTo.tell(result.answering(corr));
    }

    /** The call to run now, with the same correlation id. */
    public Execute asExecute() {
      return new Execute(corr, call, context, replyTo);
    }
  }

  /** Adds or replaces a tool at run time (local only: a Tool is code, not data). */
  public record Register(Tool tool, ActorRef<Done> replyTo) implements Command {}
}
