package io.troupe.vector;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A model-free embedder: signed feature hashing of lower-cased words (without common stop words),
 * adjacent word pairs and the character trigrams of each word, L2-normalized. Texts that share
 * words or word stems land close together; it knows nothing of synonyms. Deterministic across
 * JVMs and thread-safe.
 */
public final class HashingEmbedder implements Embedder {

  private static final float WORD_WEIGHT = 1.0f;
  private static final float PAIR_WEIGHT = 0.7f;
  private static final float TRIGRAM_WEIGHT = 0.3f;

  private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
  private static final Set<String> STOP_WORDS = Set.of(
      "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from",
      "as", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those",
      "i", "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "their",
      "do", "does", "did", "can", "could", "will", "would", "should", "how", "what", "which", "who",
      "about", "there", "here", "have", "has", "had", "not", "no", "so", "if", "then", "than");

  private final int dimension;

  public HashingEmbedder(int dimension) {
    if (dimension < 8) {
      throw new IllegalArgumentException("dimension must be at least 8, was " + dimension);
    }
    this.dimension = dimension;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public String id() {
    return "hashing-v1-" + dimension;
  }

  @Override
  public float[] embed(String text) {
    float[] vector = new float[dimension];
    List<String> words = words(text == null ? "" : text);
    for (int i = 0; i < words.size(); i++) {
      String word = words.get(i);
      add(vector, "w:" + word, WORD_WEIGHT);
      if (i + 1 < words.size()) {
        add(vector, "p:" + word + ' ' + words.get(i + 1), PAIR_WEIGHT);
      }
      String padded = '^' + word + '$';
      for (int j = 0; j + 3 <= padded.length(); j++) {
        add(vector, "t:" + padded.substring(j, j + 3), TRIGRAM_WEIGHT);
      }
    }
    if (words.isEmpty()) {
      add(vector, "empty", 1.0f); // keeps the vector non-zero for text without words
    }
    normalize(vector);
    return vector;
  }

  static List<String> words(String text) {
    String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    List<String> words = new ArrayList<>();
    for (String token : NON_WORD.split(folded)) {
      if (!token.isEmpty() && !STOP_WORDS.contains(token)) {
        words.add(token);
      }
    }
    return words;
  }

  /** Signed hashing: the feature's hash picks a slot and a sign, so that collisions tend to cancel. */
  private void add(float[] vector, String feature, float weight) {
    long hash = hash(feature);
    int slot = (int) Long.remainderUnsigned(hash >>> 1, dimension);
    vector[slot] += (hash & 1L) == 0 ? weight : -weight;
  }

  /** FNV-1a over the UTF-16 code units, then the MurmurHash3 finalizer to spread the bits. */
  static long hash(String feature) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < feature.length(); i++) {
      h ^= feature.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  static void normalize(float[] vector) {
    double sum = 0;
    for (float v : vector) {
      sum += (double) v * v;
    }
    if (sum == 0) {
      return;
    }
    float scale = (float) (1.0 / Math.sqrt(sum));
    for (int i = 0; i < vector.length; i++) {
      vector[i] *= scale;
    }
  }
}
