package io.troupe.bench;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Prints one line per second while a phase runs: done/total, in flight, errors, elapsed. Runs on a
 * daemon thread of the driver (never an actor's).
 */
public final class Progress implements AutoCloseable {
  public final AtomicLong sent = new AtomicLong();
  public final AtomicLong done = new AtomicLong();
  public final AtomicLong errors = new AtomicLong();
  private final String label;
  private final long total;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Supplier<String> extra = () -> "";

  public Progress(String label, long total) {
    this.label = label;
    this.total = total;
    this.thread = new Thread(this::loop, "bench-progress");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Something more to print on each line, e.g. the fake server's counts. */
  public Progress extra(Supplier<String> extra) {
    this.extra = extra;
    return this;
  }

  private void loop() {
    while (running) {
      try {
        Thread.sleep(1000); // blocking-ok: the driver's progress thread, not an actor
      } catch (InterruptedException e) {
        return;
      }
      if (running) {
        print();
      }
    }
  }

  public void print() {
    long d = done.get();
    System.out.printf(Locale.ROOT, "  [%s] %6.1fs  done %d/%d  in-flight %d  errors %d%s%n",
        label, (System.nanoTime() - startNanos) / 1e9, d, total, sent.get() - d, errors.get(), extra.get());
    System.out.flush();
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    print();
  }
}
