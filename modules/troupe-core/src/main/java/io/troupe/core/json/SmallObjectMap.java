package io.troupe.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The fields of a JSON object, in insertion order, as one array of keys and values. A session keeps
 * hundreds of thousands of small objects (step details, event data); a {@link LinkedHashMap} costs
 * about 56 bytes, a 16-slot table and 40 bytes a field, this about a quarter of that. Past
 * {@value #MAX_INLINE} fields it moves into a {@link LinkedHashMap}, so lookups stay cheap.
 */
final class SmallObjectMap extends AbstractMap<String, JsonNode> {
  static final int MAX_INLINE = 16;

  private Object[] pairs = EMPTY; // key0, value0, key1, value1, ...
  private int size;
  private int modifications;
  private LinkedHashMap<String, JsonNode> large;

  private static final Object[] EMPTY = new Object[0];

  @Override
  public int size() {
    return large != null ? large.size() : size;
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  private int indexOf(Object key) {
    for (int i = 0; i < size; i++) {
      if (pairs[2 * i].equals(key)) return i;
    }
    return -1;
  }

  @Override
  public boolean containsKey(Object key) {
    return large != null ? large.containsKey(key) : indexOf(key) >= 0;
  }

  @Override
  public JsonNode get(Object key) {
    if (large != null) return large.get(key);
    int i = indexOf(key);
    return i < 0 ? null : (JsonNode) pairs[2 * i + 1];
  }

  @Override
  public JsonNode put(String key, JsonNode value) {
    Objects.requireNonNull(key, "key");
    if (large != null) return large.put(key, value);
    int i = indexOf(key);
    if (i >= 0) {
      JsonNode old = (JsonNode) pairs[2 * i + 1];
      pairs[2 * i + 1] = value;
      return old;
    }
    if (size == MAX_INLINE) {
      large = new LinkedHashMap<>(2 * MAX_INLINE);
      for (int j = 0; j < size; j++) large.put((String) pairs[2 * j], (JsonNode) pairs[2 * j + 1]);
      pairs = EMPTY;
      size = 0;
      modifications++;
      return large.put(key, value);
    }
    if (2 * size == pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length == 0 ? 8 : 2 * pairs.length);
    }
    pairs[2 * size] = key;
    pairs[2 * size + 1] = value;
    size++;
    modifications++;
    return null;
  }

  @Override
  public JsonNode remove(Object key) {
    if (large != null) return large.remove(key);
    int i = indexOf(key);
    if (i < 0) return null;
    JsonNode old = (JsonNode) pairs[2 * i + 1];
    removeAt(i);
    return old;
  }

  private void removeAt(int i) {
    System.arraycopy(pairs, 2 * i + 2, pairs, 2 * i, 2 * (size - i - 1));
    size--;
    pairs[2 * size] = null;
    pairs[2 * size + 1] = null;
    modifications++;
  }

  @Override
  public void clear() {
    large = null;
    pairs = EMPTY;
    size = 0;
    modifications++;
  }

  @Override
  public Set<Entry<String, JsonNode>> entrySet() {
    return large != null ? large.entrySet() : new Entries();
  }

  private final class Entries extends AbstractSet<Entry<String, JsonNode>> {
    @Override
    public int size() {
      return SmallObjectMap.this.size();
    }

    @Override
    public Iterator<Entry<String, JsonNode>> iterator() {
      if (large != null) return large.entrySet().iterator();
      return new Iterator<>() {
        private int next;
        private int last = -1;
        private int expected = modifications;

        @Override
        public boolean hasNext() {
          return next < size;
        }

        @Override
        public Entry<String, JsonNode> next() {
          if (expected != modifications) throw new ConcurrentModificationException();
          if (next >= size) throw new NoSuchElementException();
          last = next++;
          return new Field(last);
        }

        @Override
        public void remove() {
          if (last < 0) throw new IllegalStateException();
          if (expected != modifications) throw new ConcurrentModificationException();
          removeAt(last);
          next = last;
          last = -1;
          expected = modifications;
        }
      };
    }
  }

  /** A field seen through the iterator; setValue writes through. */
  private final class Field extends SimpleEntry<String, JsonNode> {
    private final int index;

    Field(int index) {
      super((String) pairs[2 * index], (JsonNode) pairs[2 * index + 1]);
      this.index = index;
    }

    @Override
    public JsonNode setValue(JsonNode value) {
      pairs[2 * index + 1] = value;
      return super.setValue(value);
    }
  }
}
