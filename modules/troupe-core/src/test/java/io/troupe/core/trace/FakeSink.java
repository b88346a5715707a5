package io.troupe.core.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A sink in memory: records the batches, can fail a number of writes, and counts the reads. */
final class FakeSink implements TraceSink {
  final Map<String, StoredIntent> rows = new ConcurrentHashMap<>();
  final List<List<StoredIntent>> batches = new ArrayList<>();
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger failuresLeft = new AtomicInteger();
  final AtomicInteger attempts = new AtomicInteger();
  /** One permit per write attempt, failed or not. */
  private final Semaphore attempted = new Semaphore(0);

  @Override
  public void write(List<StoredIntent> batch) throws Exception {
    attempts.incrementAndGet();
    try {
      if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new java.sql.SQLException("connection refused");
      }
      synchronized (batches) {
        batches.add(List.copyOf(batch));
      }
      batch.forEach(stored -> rows.put(stored.view().id(), stored));
    } finally {
      attempted.release();
    }
  }

  @Override
  public int deleteSession(String sessionId) {
    int before = rows.size();
    rows.values().removeIf(r -> sessionId.equals(r.view().sessionId()));
    return before - rows.size();
  }

  @Override
  public Optional<StoredIntent> read(String intentId) {
    reads.incrementAndGet();
    return Optional.ofNullable(rows.get(intentId));
  }

  /** Waits (at most 10 s) for {@code n} more write attempts. */
  void awaitAttempts(int n) throws InterruptedException {
    if (!attempted.tryAcquire(n, 10, TimeUnit.SECONDS)) {
      throw new AssertionError("fewer than " + n + " write attempts within 10 s; batches: " + batchSizes());
    }
  }

  List<Integer> batchSizes() {
    synchronized (batches) {
      return batches.stream().map(List::size).toList();
    }
  }
}
