package io.troupe.vector;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns text into a dense vector for the index. Implementations must be thread-safe: the vector
 * store calls them from several threads of its dispatcher. The store L2-normalizes what it gets,
 * so any non-zero vector will do.
 */
public interface Embedder {

  /** A vector of length {@link #dimension()}. */
  float[] embed(String text);

  int dimension();

  /**
   * Names the embedding space, e.g. {@code hashing-v1-384}. The index records it and refuses to open
   * with a different one, since vectors from two embedders cannot be compared.
   */
  String id();

  /** Several texts at once; a model-backed embedder can batch them. */
  default List<float[]> embedAll(List<String> texts) {
    List<float[]> vectors = new ArrayList<>(texts.size());
    for (String text : texts) {
      vectors.add(embed(text));
    }
    return vectors;
  }
}
