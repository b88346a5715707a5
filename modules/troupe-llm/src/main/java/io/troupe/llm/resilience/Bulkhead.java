package io.troupe.llm.resilience;

import java.util.ArrayDeque;
import java.util.OptionalLong;

/**
 * A concurrency limit with a bounded FIFO wait queue of call ids. Not thread-safe: it lives in the
 * gateway actor.
 */
public final class Bulkhead {
  private final int maxConcurrent;
  private final int maxQueued;
  private final ArrayDeque<Long> queue = new ArrayDeque<>();
  private int active;

  public Bulkhead(ResilienceSettings.BulkheadSettings settings) {
    this.maxConcurrent = settings.maxConcurrent();
    this.maxQueued = settings.maxQueued();
  }

  /** Takes a slot if one is free and nobody waits ahead. */
  public boolean tryAcquire() {
    if (active < maxConcurrent && queue.isEmpty()) {
      active++;
      return true;
    }
    return false;
  }

  /** Queues a call for the next free slot; false when the queue is full. */
  public boolean enqueue(long callId) {
    if (queue.size() >= maxQueued) {
      return false;
    }
    queue.addLast(callId);
    return true;
  }

  public void release() {
    if (active > 0) active--;
  }

  /** The next waiting call, which now holds a slot; empty when no slot is free or nobody waits. */
  public OptionalLong admitNext() {
    if (active >= maxConcurrent || queue.isEmpty()) {
      return OptionalLong.empty();
    }
    active++;
    return OptionalLong.of(queue.pollFirst());
  }

  public boolean removeQueued(long callId) {
    return queue.remove(callId);
  }

  public int active() {
    return active;
  }

  public int queued() {
    return queue.size();
  }

  public int maxConcurrent() {
    return maxConcurrent;
  }

  public int maxQueued() {
    return maxQueued;
  }
}
