package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HashingEmbedderTest {

  private final HashingEmbedder embedder = new HashingEmbedder(384);

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
    }
    return dot; // both are unit vectors
  }

  static double norm(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    return Math.sqrt(sum);
  }

  @Test
  void vectorsHaveTheDimensionAndUnitLength() {
    float[] v = embedder.embed("The quick brown fox jumps over the lazy dog");
    assertEquals(384, v.length);
    assertEquals(1.0, norm(v), 1e-5);
    assertEquals("hashing-v1-384", embedder.id());
  }

  @Test
  void isDeterministic() {
    assertArrayEquals(embedder.embed("Refund policy for damaged items"), new HashingEmbedder(384).embed("Refund policy for damaged items"));
  }

  @Test
  void ignoresCaseAndPunctuation() {
    assertArrayEquals(embedder.embed("Reset your password!"), embedder.embed("reset YOUR password"));
  }

  @Test
  void relatedTextsScoreHigherThanUnrelatedOnes() {
    float[] query = embedder.embed("How do I reset my password?");
    float[] related = embedder.embed("Password reset: open settings and choose 'reset password' to get an email link.");
    float[] unrelated = embedder.embed("Our office in Lyon is closed on public holidays and weekends.");
    assertTrue(cosine(query, related) > cosine(query, unrelated) + 0.2,
        "related " + cosine(query, related) + " vs unrelated " + cosine(query, unrelated));
  }

  @Test
  void wordFormsShareCharacterTrigrams() {
    float[] shipping = embedder.embed("shipping");
    float[] shipped = embedder.embed("shipped");
    float[] banana = embedder.embed("banana");
    assertTrue(cosine(shipping, shipped) > 0.2, "shipping/shipped " + cosine(shipping, shipped));
    assertTrue(cosine(shipping, shipped) > cosine(shipping, banana) + 0.2);
  }

  @Test
  void textWithoutWordsStillGivesAUnitVector() {
    assertEquals(1.0, norm(embedder.embed("?!")), 1e-5);
    assertEquals(1.0, norm(embedder.embed("")), 1e-5);
  }

  @Test
  void dropsStopWords() {
    assertEquals(List.of("many", "orders", "shipped", "march"), HashingEmbedder.words("How many of the orders were shipped in March?"));
  }

  @Test
  void rejectsATinyDimension() {
    assertThrows(IllegalArgumentException.class, () -> new HashingEmbedder(4));
  }
}
