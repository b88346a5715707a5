package io.troupe.vector;

import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Makes the store's embedder when it initializes, on the embedding dispatcher ({@code
 * embeddingExecutor}), where loading a model may block. The node uses it to wire embedders that
 * live in other modules (the OpenAI-compatible one in troupe-llm).
 */
@FunctionalInterface
public interface EmbedderFactory {

  AsyncEmbedder create(ActorSystem<?> system, Executor embeddingExecutor) throws Exception;

  /** The local embedder named in the settings ({@code minilm} or {@code hashing}). */
  static EmbedderFactory local(VectorStoreSettings settings) {
    return (system, executor) -> AsyncEmbedder.onExecutor(settings.createEmbedder(), executor, settings.embedBatchSize());
  }

  /** A given blocking embedder, run on the embedding dispatcher. */
  static EmbedderFactory of(Embedder embedder, int batchSize) {
    return (system, executor) -> AsyncEmbedder.onExecutor(embedder, executor, batchSize);
  }
}
