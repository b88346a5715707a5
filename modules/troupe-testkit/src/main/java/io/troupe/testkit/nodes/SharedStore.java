package io.troupe.testkit.nodes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The storage behind {@link SharedJournal} and {@link SharedSnapshotStore}: one per store name, in
 * this JVM, so that several actor systems ("nodes") configured with the same name read and write
 * one journal, as nodes on one database do. Events and snapshots are kept serialized by the node
 * that wrote them and deserialized by the node that reads them.
 */
public final class SharedStore {

  private static final Map<String, SharedStore> STORES = new ConcurrentHashMap<>();

  /** One serialized event, as the journal keeps it. */
  record StoredEvent(long sequenceNr, String manifest, int serializerId, byte[] bytes, String writerUuid,
      Set<String> tags, Object original) {}

  record StoredSnapshot(long sequenceNr, long timestamp, int serializerId, String manifest, byte[] bytes) {}

  private final Map<String, List<StoredEvent>> events = new HashMap<>();
  private final Map<String, Long> deletedTo = new HashMap<>();
  private final Map<String, Long> highest = new HashMap<>();
  private final Map<String, List<StoredSnapshot>> snapshots = new HashMap<>();

  private SharedStore() {}

  /** The store of this name, made on first use. */
  public static SharedStore named(String name) {
    return STORES.computeIfAbsent(name, n -> new SharedStore());
  }

  /** Forgets the store of this name (its nodes should be gone). */
  public static void drop(String name) {
    STORES.remove(name);
  }

  /** The events of a persistence id still in the journal, as written (before serialization), in order. */
  public synchronized List<Object> events(String persistenceId) {
    long from = deletedTo.getOrDefault(persistenceId, 0L);
    List<Object> out = new ArrayList<>();
    for (StoredEvent e : events.getOrDefault(persistenceId, List.of())) {
      if (e.sequenceNr() > from) out.add(e.original());
    }
    return out;
  }

  /** Every persistence id with events. */
  public synchronized List<String> persistenceIds() {
    return List.copyOf(events.keySet());
  }

  synchronized void append(String persistenceId, List<StoredEvent> batch) {
    List<StoredEvent> log = events.computeIfAbsent(persistenceId, k -> new ArrayList<>());
    long last = highest.getOrDefault(persistenceId, 0L);
    for (StoredEvent e : batch) {
      if (e.sequenceNr() <= last) {
        throw new IllegalStateException("sequence number " + e.sequenceNr() + " of " + persistenceId
            + " was written already: two nodes ran the same entity at once");
      }
      last = e.sequenceNr();
    }
    log.addAll(batch);
    highest.put(persistenceId, last);
  }

  synchronized List<StoredEvent> read(String persistenceId, long from, long to, long max) {
    long deleted = deletedTo.getOrDefault(persistenceId, 0L);
    List<StoredEvent> out = new ArrayList<>();
    for (StoredEvent e : events.getOrDefault(persistenceId, List.of())) {
      if (out.size() >= max) break;
      if (e.sequenceNr() >= from && e.sequenceNr() <= to && e.sequenceNr() > deleted) out.add(e);
    }
    return out;
  }

  synchronized long highestSequenceNr(String persistenceId) {
    return highest.getOrDefault(persistenceId, 0L);
  }

  synchronized void deleteTo(String persistenceId, long to) {
    deletedTo.merge(persistenceId, Math.min(to, highestSequenceNr(persistenceId)), Math::max);
  }

  synchronized void saveSnapshot(String persistenceId, StoredSnapshot snapshot) {
    List<StoredSnapshot> list = snapshots.computeIfAbsent(persistenceId, k -> new ArrayList<>());
    list.removeIf(s -> s.sequenceNr() == snapshot.sequenceNr());
    list.add(snapshot);
  }

  synchronized List<StoredSnapshot> snapshots(String persistenceId) {
    return List.copyOf(snapshots.getOrDefault(persistenceId, List.of()));
  }

  synchronized void deleteSnapshots(String persistenceId, java.util.function.Predicate<StoredSnapshot> which) {
    List<StoredSnapshot> list = snapshots.get(persistenceId);
    if (list != null) list.removeIf(which);
  }
}
