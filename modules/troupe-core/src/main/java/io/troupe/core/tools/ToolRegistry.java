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

  public record ToolList(List<ToolSpec> tools) implements CborSerializable {}

  /**
   * Validates the call's arguments against the tool's schema and runs it. Always answers with a
   * {@link ToolResult}: an unknown tool, bad arguments, a timeout or a failure become an error
   * result, never a missing reply.
   */
  public record Execute(ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo)
      implements Command, CborSerializable {}

  /** Adds or replaces a tool at run time (local only: a Tool is code, not data). */
  public record Register(Tool tool, ActorRef<Done> replyTo) implements Command {}
}
