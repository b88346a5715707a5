package io.troupe.core.llm;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A model provider. Implementations never block the calling thread: they complete the returned
 * stage later. The gateway actor wraps every provider with its resilience layer.
 */
public interface LlmProvider {

  /** The provider's configured name, e.g. {@code local} or {@code openai}. */
  String name();

  /** Prepares the provider (connections, credentials check). Completes when usable. */
  default CompletionStage<Void> init() {
    return java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  /**
   * Produces the next assistant turn. When the request asks to stream, each fragment is passed
   * to {@code onDelta} as it arrives, on any thread; the returned stage completes with the whole
   * turn.
   */
  CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta);
}
