package io.troupe.core.tools;

import io.troupe.core.CborSerializable;
import io.troupe.core.llm.ToolSpec;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The tool registry's catalogue for operators (e.g. {@code GET /v1/tools}): every tool's spec and
 * how the registry runs it. Models see only {@link ToolRegistry.ListTools}.
 */
public final class ToolCatalog {
  private ToolCatalog() {}

  /** Asks the registry for its catalogue; a registry answers with {@link Catalog}. */
  public record Describe(ActorRef<Catalog> replyTo) implements ToolRegistry.Command, CborSerializable {}

  /** The specs, and (by name) how each tool runs. */
  public record Catalog(List<ToolSpec> tools, List<ToolInfo> details) implements CborSerializable {}

  /**
   * How the registry runs one tool: its effect ({@code READ_ONLY}, {@code IDEMPOTENT} or
   * {@code SIDE_EFFECTING}), whether it runs on the blocking dispatcher, its timeout, its
   * concurrency limit, and where it comes from ({@code builtin}, {@code java} or
   * {@code mcp:<server>}).
   */
  public record ToolInfo(
      String name, Tool.Effect effect, boolean blocking, long timeoutMs, int maxConcurrent, String source)
      implements CborSerializable {}
}
