package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {

  @Test
  void aShortTextIsOneChunk() {
    assertEquals(List.of(new Chunker.Chunk(0, 0, 5, "hello")), new Chunker(100, 20).split("hello"));
  }

  @Test
  void chunksOverlapKeepWordsWholeAndCoverTheText() {
    String text = String.join(" ", SyntheticCorpus.sentences(7, 40));
    Chunker chunker = new Chunker(120, 30);
    List<Chunker.Chunk> chunks = chunker.split(text);
    assertTrue(chunks.size() > 10);
    int covered = 0;
    for (int i = 0; i < chunks.size(); i++) {
      Chunker.Chunk c = chunks.get(i);
      assertEquals(i, c.index());
      assertEquals(text.substring(c.start(), c.end()), c.text());
      assertTrue(c.end() - c.start() <= 120);
      assertTrue(c.start() <= covered, "no gap before chunk " + i);
      if (i > 0) {
        assertTrue(c.start() < chunks.get(i - 1).end(), "overlaps the previous chunk");
        assertTrue(Character.isWhitespace(text.charAt(c.start() - 1)), "starts at a word");
      }
      if (c.end() < text.length()) {
        assertTrue(Character.isWhitespace(text.charAt(c.end() - 1)), "ends after a word");
      }
      covered = c.end();
    }
    assertEquals(text.length(), covered);
  }

  @Test
  void aTextWithoutSpacesIsCutHard() {
    String text = "x".repeat(250);
    List<Chunker.Chunk> chunks = new Chunker(100, 10).split(text);
    assertEquals(List.of(0, 90, 180), chunks.stream().map(Chunker.Chunk::start).toList());
    assertEquals(250, chunks.get(chunks.size() - 1).end());
  }

  @Test
  void refusesBadSettings() {
    assertThrows(IllegalArgumentException.class, () -> new Chunker(8, 0));
    assertThrows(IllegalArgumentException.class, () -> new Chunker(100, 50));
  }
}
