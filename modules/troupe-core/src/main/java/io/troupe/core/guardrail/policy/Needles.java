package io.troupe.core.guardrail.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which groups of plain-text needles occur in a text, found in one pass (an Aho-Corasick automaton
 * over ASCII). A needle that starts with {@code ~} counts only as a whole word. At most 64 groups.
 * Immutable once built, so one instance serves every thread.
 */
final class Needles {
  private static final int ALPHABET = 128;

  private final int[] delta;
  private final long[] hits;
  private final int[][] wordHits;

  Needles(List<String[]> groups) {
    if (groups.size() > 64) throw new IllegalArgumentException("at most 64 groups");
    List<int[]> next = new ArrayList<>();
    List<Long> out = new ArrayList<>();
    List<List<int[]>> words = new ArrayList<>();
    newState(next, out, words);
    for (int g = 0; g < groups.size(); g++) {
      for (String needle : groups.get(g)) {
        boolean word = needle.startsWith("~");
        String n = word ? needle.substring(1) : needle;
        int s = 0;
        for (int i = 0; i < n.length(); i++) {
          int c = symbol(n.charAt(i));
          if (c == 0) throw new IllegalArgumentException("needles are ASCII: " + needle);
          if (next.get(s)[c] < 0) next.get(s)[c] = newState(next, out, words);
          s = next.get(s)[c];
        }
        if (word) words.get(s).add(new int[] {g, n.length()});
        else out.set(s, out.get(s) | 1L << g);
      }
    }
    int states = next.size();
    delta = new int[states * ALPHABET];
    hits = new long[states];
    wordHits = new int[states][];
    int[] fail = new int[states];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int c = 0; c < ALPHABET; c++) {
      int t = next.get(0)[c];
      delta[c] = t < 0 ? 0 : t;
      if (t > 0) queue.add(t);
    }
    hits[0] = out.get(0);
    wordHits[0] = flatten(words.get(0));
    while (!queue.isEmpty()) {
      int s = queue.poll();
      hits[s] = out.get(s) | hits[fail[s]];
      List<int[]> own = new ArrayList<>(words.get(s));
      own.addAll(Arrays.asList(unflatten(wordHits[fail[s]])));
      wordHits[s] = flatten(own);
      for (int c = 0; c < ALPHABET; c++) {
        int t = next.get(s)[c];
        if (t < 0) {
          delta[s * ALPHABET + c] = delta[fail[s] * ALPHABET + c];
        } else {
          fail[t] = delta[fail[s] * ALPHABET + c];
          delta[s * ALPHABET + c] = t;
          queue.add(t);
        }
      }
    }
  }

  /** The groups, as bits, with a needle in the text. */
  long find(String text) {
    long found = 0;
    int s = 0;
    for (int i = 0; i < text.length(); i++) {
      s = delta[s * ALPHABET + symbol(text.charAt(i))];
      found |= hits[s];
      int[] w = wordHits[s];
      for (int k = 0; k < w.length; k += 2) {
        int start = i - w[k + 1] + 1;
        if ((start == 0 || !Character.isLetterOrDigit(text.charAt(start - 1)))
            && (i + 1 == text.length() || !Character.isLetterOrDigit(text.charAt(i + 1)))) {
          found |= 1L << w[k];
        }
      }
    }
    return found;
  }

  private static int symbol(char c) {
    return c < ALPHABET ? c : 0;
  }

  private static int newState(List<int[]> next, List<Long> out, List<List<int[]>> words) {
    int[] row = new int[ALPHABET];
    Arrays.fill(row, -1);
    next.add(row);
    out.add(0L);
    words.add(new ArrayList<>(0));
    return next.size() - 1;
  }

  private static int[] flatten(List<int[]> pairs) {
    int[] flat = new int[pairs.size() * 2];
    for (int i = 0; i < pairs.size(); i++) {
      flat[2 * i] = pairs.get(i)[0];
      flat[2 * i + 1] = pairs.get(i)[1];
    }
    return flat;
  }

  private static int[][] unflatten(int[] flat) {
    int[][] pairs = new int[flat.length / 2][];
    for (int i = 0; i < pairs.length; i++) pairs[i] = new int[] {flat[2 * i], flat[2 * i + 1]};
    return pairs;
  }
}
