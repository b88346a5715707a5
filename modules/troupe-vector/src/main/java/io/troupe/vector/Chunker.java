package io.troupe.vector;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a text into overlapping chunks of at most {@code size} characters (Java chars), each
 * with its offsets in the text. A chunk ends after whitespace when there is some in the second
 * half of its window, so words stay whole; the next one starts {@code overlap} characters
 * before, moved forward to the start of a word. A text of at most {@code size} characters is one
 * chunk, [0, length).
 */
public record Chunker(int size, int overlap) {

  /** One chunk: {@code text} is exactly {@code source.substring(start, end)}. */
  public record Chunk(int index, int start, int end, String text) {}

  public Chunker {
    if (size < 16) {
      throw new IllegalArgumentException("chunk-size must be at least 16 characters");
    }
    if (overlap < 0 || overlap >= size / 2) {
      throw new IllegalArgumentException("chunk-overlap must be between 0 and half the chunk-size");
    }
  }

  public List<Chunk> split(String text) {
    int n = text.length();
    if (n <= size) {
      return List.of(new Chunk(0, 0, n, text));
    }
    List<Chunk> chunks = new ArrayList<>();
    int start = 0;
    while (start < n) {
      while (start < n && Character.isWhitespace(text.charAt(start))) {
        start++;
      }
      if (start >= n) {
        break;
      }
      int end = Math.min(n, start + size);
      if (end < n) {
        int cut = end;
        while (cut > start + size / 2 && !Character.isWhitespace(text.charAt(cut - 1))) {
          cut--;
        }
        if (cut > start + size / 2) {
          end = cut;
        } else if (Character.isLowSurrogate(text.charAt(end))) {
          end--; // keep a surrogate pair together
        }
      }
      chunks.add(new Chunk(chunks.size(), start, end, text.substring(start, end)));
      if (end >= n) {
        break;
      }
      int next = Math.max(start + 1, end - overlap);
      int word = next;
      while (word < end && !Character.isWhitespace(text.charAt(word - 1))) {
        word++;
      }
      if (word < end) {
        next = word;
      }
      if (Character.isLowSurrogate(text.charAt(next))) {
        next++;
      }
      start = next;
    }
    return chunks;
  }
}
