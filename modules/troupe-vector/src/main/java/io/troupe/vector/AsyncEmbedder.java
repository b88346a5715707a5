package io.troupe.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The embedder as the vector store uses it: many texts in, one vector per text out, in order,
 * without blocking the caller. A local model ({@link #onExecutor}) runs on the store's bounded
 * embedding dispatcher; a remote one (an OpenAI-compatible endpoint, wired by the node) is
 * asynchronous by nature. The store L2-normalizes what it gets.
 */
public interface AsyncEmbedder {

  /** One vector of length {@link #dimension()} per text, in input order. */
  CompletionStage<List<float[]>> embedAll(List<String> texts);

  int dimension();

  /** Names the embedding space; an index records it and refuses to open with another. */
  String id();

  /**
   * A remote embedder: {@code call} embeds one slice of at most {@code batchSize} texts (one
   * request); the slices of a call go out concurrently.
   */
  static AsyncEmbedder remote(String id, int dimension, int batchSize,
      java.util.function.Function<List<String>, CompletionStage<List<float[]>>> call) {
    int slice = Math.max(1, batchSize);
    return new AsyncEmbedder() {
      @Override
      public CompletionStage<List<float[]>> embedAll(List<String> texts) {
        List<CompletableFuture<List<float[]>>> parts = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += slice) {
          parts.add(call.apply(List.copyOf(texts.subList(from, Math.min(texts.size(), from + slice)))).toCompletableFuture());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
          List<float[]> all = new ArrayList<>(texts.size());
          parts.forEach(part -> all.addAll(part.join())); // blocking-ok: all complete here, join does not wait
          return all;
        });
      }

      @Override
      public int dimension() {
        return dimension;
      }

      @Override
      public String id() {
        return id;
      }

      @Override
      public String toString() {
        return id;
      }
    };
  }

  /**
   * Runs a blocking {@link Embedder} on {@code executor} (the embedding dispatcher), in slices of
   * at most {@code batchSize} texts: each slice is one {@link Embedder#embedAll} call, and slices
   * run concurrently up to the executor's size.
   */
  static AsyncEmbedder onExecutor(Embedder embedder, Executor executor, int batchSize) {
    int slice = Math.max(1, batchSize);
    return new AsyncEmbedder() {
      @Override
      public CompletionStage<List<float[]>> embedAll(List<String> texts) {
        if (texts.isEmpty()) {
          return CompletableFuture.completedFuture(List.of());
        }
        List<CompletableFuture<List<float[]>>> parts = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += slice) {
          List<String> part = List.copyOf(texts.subList(from, Math.min(texts.size(), from + slice)));
          parts.add(CompletableFuture.supplyAsync(() -> embedder.embedAll(part), executor));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
          List<float[]> all = new ArrayList<>(texts.size());
          parts.forEach(part -> all.addAll(part.join())); // blocking-ok: all complete here, join does not wait
          return all;
        });
      }

      @Override
      public int dimension() {
        return embedder.dimension();
      }

      @Override
      public String id() {
        return embedder.id();
      }

      @Override
      public String toString() {
        return embedder.id();
      }
    };
  }
}
