package io.troupe.tools.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.ToolContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A tool made by {@link Tools}: a spec, its flags and limits, and a handler. */
final class JavaTool implements LimitedTool {
  private final ToolSpec spec;
  private final Kind kind;
  private final Effect effect;
  private final ToolLimits limits;
  private final ToolHandler handler;

  JavaTool(ToolSpec spec, Kind kind, Effect effect, ToolLimits limits, ToolHandler handler) {
    this.spec = spec;
    this.kind = kind;
    this.effect = effect;
    this.limits = limits;
    this.handler = handler;
  }

  @Override
  public ToolSpec spec() {
    return spec;
  }

  @Override
  public Kind kind() {
    return kind;
  }

  @Override
  public Effect effect() {
    return effect;
  }

  @Override
  public ToolLimits limits() {
    return limits;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    try {
      CompletionStage<JsonNode> out = handler.handle(arguments, context);
      return out != null ? out : CompletableFuture.completedFuture(null);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public String toString() {
    return "JavaTool(" + spec.name() + ")";
  }
}
