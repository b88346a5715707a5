package io.troupe.metrics;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The values one label may take: the first {@code max} distinct ones as they come (cut to 64
 * characters), {@link #OTHER} for the rest. A value seen before costs one map read.
 */
final class BoundedLabels {
  static final String OTHER = "other";
  private static final int MAX_LENGTH = 64;

  private final int max;
  private final ConcurrentHashMap<String, String> known = new ConcurrentHashMap<>();

  BoundedLabels(int max) {
    this.max = max;
  }

  String of(String raw) {
    if (raw == null || raw.isEmpty()) return "unknown";
    String v = known.get(raw);
    if (v != null) return v;
    synchronized (this) {
      v = known.get(raw);
      if (v != null) return v;
      if (known.size() >= max) return OTHER;
      v = raw.length() > MAX_LENGTH ? raw.substring(0, MAX_LENGTH) : raw;
      known.put(raw, v);
      return v;
    }
  }

  int size() {
    return known.size();
  }
}
