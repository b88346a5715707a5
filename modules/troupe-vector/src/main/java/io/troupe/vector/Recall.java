package io.troupe.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/** Exact (brute-force) nearest neighbours, to measure the recall of the HNSW index. */
public final class Recall {
  private Recall() {}

  /** Unit-length copies. */
  public static List<float[]> unit(List<float[]> vectors) {
    List<float[]> out = new ArrayList<>(vectors.size());
    for (float[] v : vectors) {
      float[] copy = v.clone();
      HashingEmbedder.normalize(copy);
      out.add(copy);
    }
    return out;
  }

  public static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /**
   * recall@k of {@code found} (indexes into {@code corpus}) for {@code query}: the share of the
   * exact top k that was found. A found item that ties with the exact k-th score (same
   * similarity, within 1e-6) counts as exact too, since generated texts repeat.
   */
  public static double at(int k, float[] query, List<float[]> corpus, Collection<Integer> found) {
    double[] scores = new double[corpus.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = dot(query, corpus.get(i));
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    int n = Math.min(k, sorted.length);
    double kth = sorted[sorted.length - n];
    int hits = 0;
    for (int i : found) {
      if (scores[i] >= kth - 1e-6) {
        hits++;
      }
    }
    return Math.min(1.0, (double) hits / n);
  }
}
