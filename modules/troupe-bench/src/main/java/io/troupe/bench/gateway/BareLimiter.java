package io.troupe.bench.gateway;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** At most {@code limit} calls in flight, the rest wait in a FIFO queue; nothing blocks. */
final class BareLimiter {
  private record Waiting(Supplier<CompletableFuture<String>> call, CompletableFuture<String> result) {}

  private final int limit;
  private final AtomicInteger permits;
  private final ConcurrentLinkedQueue<Waiting> queue = new ConcurrentLinkedQueue<>();

  BareLimiter(int limit) {
    this.limit = limit;
    this.permits = new AtomicInteger(limit);
  }

  CompletableFuture<String> submit(Supplier<CompletableFuture<String>> call) {
    CompletableFuture<String> result = new CompletableFuture<>();
    queue.add(new Waiting(call, result));
    drain();
    return result;
  }

  private void drain() {
    while (!queue.isEmpty()) {
      int p = permits.get();
      if (p <= 0) {
        return;
      }
      if (!permits.compareAndSet(p, p - 1)) {
        continue;
      }
      Waiting w = queue.poll();
      if (w == null) {
        permits.incrementAndGet();
        continue;
      }
      w.call().get().whenCompleteAsync((v, t) -> {
        permits.incrementAndGet();
        if (t != null) {
          w.result().completeExceptionally(t);
        } else {
          w.result().complete(v);
        }
        drain();
      }, GatewayBench.DIRECT);
    }
  }
}
