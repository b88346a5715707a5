package io.troupe.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.llm.ToolSpec;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A tool the agent loop can call. {@link #invoke} must not block the calling thread: a tool that
 * does blocking work declares {@link Kind#BLOCKING} and the registry runs it on its blocking
 * dispatcher.
 */
public interface Tool {

  /** How the registry runs the tool. */
  enum Kind {
    /** Completes quickly or asynchronously without blocking; runs on the registry's dispatcher. */
    ASYNC,
    /** Blocks (I/O, heavy CPU); runs on the tools' blocking dispatcher. */
    BLOCKING
  }

  /** What the tool does to the world. Read-only tools can be retried and run in parallel freely. */
  enum Effect {
    READ_ONLY,
    IDEMPOTENT,
    SIDE_EFFECTING
  }

  ToolSpec spec();

  default Kind kind() {
    return Kind.ASYNC;
  }

  default Effect effect() {
    return Effect.READ_ONLY;
  }

  /** Runs the tool on arguments that have already passed the schema. Completes with JSON output. */
  CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context);

  /**
   * Tells whether a {@link Effect#SIDE_EFFECTING} call with {@code context.idempotencyKey()} took
   * effect, after a crash left its outcome unknown. The default cannot tell.
   */
  default CompletionStage<Reconciliation> reconcile(JsonNode arguments, ToolContext context) {
    return CompletableFuture.completedFuture(
        Reconciliation.unknown("the tool '" + spec().name() + "' cannot tell whether the call took effect"));
  }
}
