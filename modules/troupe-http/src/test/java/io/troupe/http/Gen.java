package io.troupe.http;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Seeded generators for the fuzz tests: a thin layer over {@link SplittableRandom}, so that a case
 * is fully determined by its seed. Sizes and values lean towards the edges (empty, minimal, maximal,
 * odd characters) the way property-testing libraries do, since those find most bugs.
 */
final class Gen {
  /** Characters that break parsers more often than a uniform pick finds them. */
  private static final char[] EDGE_CHARS = {'\u0000', '"', '\\', '/', ' ', '\n', '\t', 'a', '\u007f', '\u00ff',
      '\u2028', '\u202e', '\u200b', '\ud800', '\udbff', '\udc00', '\udfff', '\ufeff', '\ufffd', '\uffff'};

  private final SplittableRandom random;

  Gen(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** The seed of case {@code index} of property {@code property} under run seed {@code seed}. */
  static long caseSeed(long seed, String property, int index) {
    long h = seed ^ 0x9E3779B97F4A7C15L * (property.hashCode() + 1L);
    h ^= (long) index * 0xC2B2AE3D27D4EB4FL;
    // SplitMix64 finalizer: neighbouring cases get unrelated streams.
    h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
    h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 31);
  }

  /** Uniform in [min, max], both included. */
  int between(int min, int max) {
    return min == max ? min : random.nextInt(min, max + 1);
  }

  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** A size in [min, max]: often min, sometimes max, otherwise uniform. */
  int size(int min, int max) {
    double r = random.nextDouble();
    if (r < 0.08) {
      return min;
    }
    if (r < 0.12) {
      return max;
    }
    return between(min, max);
  }

  @SafeVarargs
  final <T> T of(T... values) {
    return values[random.nextInt(values.length)];
  }

  <T> T of(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** Runs one of the alternatives, each equally likely. */
  @SafeVarargs
  final <T> T oneOf(Supplier<? extends T>... alternatives) {
    return alternatives[random.nextInt(alternatives.length)].get();
  }

  /** Runs {@code a} with weight {@code wa}, else {@code b}. */
  <T> T frequency(int wa, Supplier<? extends T> a, int wb, Supplier<? extends T> b) {
    return random.nextInt(wa + wb) < wa ? a.get() : b.get();
  }

  <T> List<T> list(int min, int max, Supplier<? extends T> element) {
    int n = size(min, max);
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(element.get());
    }
    return out;
  }

  /** A random subset of {@code values}, in random order. */
  <T> List<T> subset(List<T> values) {
    List<T> out = new ArrayList<>();
    for (T v : values) {
      if (random.nextBoolean()) {
        out.add(v);
      }
    }
    for (int i = out.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    }
    return out;
  }

  /** Any char of the Basic Multilingual Plane, lone surrogates and noncharacters included. */
  char anyChar() {
    return chance(0.15) ? EDGE_CHARS[random.nextInt(EDGE_CHARS.length)] : (char) random.nextInt(0x10000);
  }

  char asciiChar() {
    return (char) random.nextInt(0x80);
  }

  char digit() {
    return (char) ('0' + random.nextInt(10));
  }

  char charOf(String chars) {
    return chars.charAt(random.nextInt(chars.length()));
  }

  String string(int min, int max, Supplier<Character> chars) {
    int n = size(min, max);
    StringBuilder out = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      out.append(chars.get().charValue());
    }
    return out.toString();
  }

  String anyString(int maxLength) {
    return string(0, maxLength, this::anyChar);
  }

  byte[] bytes(int maxSize) {
    byte[] out = new byte[size(0, maxSize)];
    random.nextBytes(out);
    return out;
  }

  /** Any int, with the edges (0, ±1, min, max) often. */
  int anyInt() {
    return chance(0.15) ? of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 1) : random.nextInt();
  }

  /** A finite double: edges, small numbers with two decimals, or any magnitude up to {@link Double#MAX_VALUE}. */
  double anyDouble() {
    double r = random.nextDouble();
    if (r < 0.15) {
      return of(0.0, -0.0, 0.01, -0.01, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1.0E7);
    }
    if (r < 0.6) {
      return Math.round((random.nextDouble() * 2 - 1) * Math.pow(10, random.nextInt(10)) * 100) / 100.0;
    }
    double d;
    do {
      d = Double.longBitsToDouble(random.nextLong());
    } while (Double.isNaN(d) || Double.isInfinite(d));
    return d;
  }
}
