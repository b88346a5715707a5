package io.troupe.core.trace;

import com.typesafe.config.Config;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spans (steps) and stream events of the intents of this node. Steps are not journal events:
 * a run records them here as it goes; a finished intent's trace stays in memory for a while, and is
 * written behind to a {@link TraceSink} (a table of the node's database) in batches, from where
 * reads come once it has left memory. A crash may lose the spans of a running intent, and the
 * finished intents still queued; the journal keeps what a resume needs.
 *
 * <p>Writes are cheap and never block: the session entity calls them on its own thread. The write
 * behind: {@link #finish} puts the intent on a bounded queue ({@code troupe.trace.write-queue}; when
 * it is full the intent is not written and counted as dropped); one daemon thread, started by the
 * first {@link #attach}, writes batches of up to {@code write-batch} intents as soon as a batch is
 * full or {@code flush-interval} after the oldest queued one. A failed batch is tried again with
 * backoff (from {@code flush-interval}, doubling up to 5 s) for {@code write-retry-for}, so that a
 * database outage shorter than that loses no trace; then it is dropped and counted. Until an intent is written, reads find it
 * in memory even if it has left the {@code retain-finished} window. On the actor system's coordinated
 * shutdown (phase before-actor-system-terminate) the queue is written out, and the thread ends.
 *
 * <p>{@link TraceListener}s are told of each step as it is recorded and of each intent as it ends:
 * the node's metrics are derived from this one recording (see troupe-metrics).
 */
public final class TraceStore implements Extension {

  private static final Logger LOG = LoggerFactory.getLogger(TraceStore.class);
  private static final long WARN_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

  private static final ExtensionId<TraceStore> ID = new ExtensionId<>() {
    @Override
    public TraceStore createExtension(ActorSystem<?> system) {
      TraceStore store = new TraceStore(Settings.fromConfig(system.settings().config()));
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "troupe-trace-flush",
          () -> store.close().thenApply(ignored -> Done.getInstance()));
      system.getWhenTerminated().thenRun(store::close); // when the coordinated shutdown did not run
      return store;
    }
  };

  public static TraceStore get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The {@code troupe.trace} settings. */
  public record Settings(int retainFinished, int maxStepsPerIntent, int writeQueue, int writeBatch, Duration flushInterval,
      Duration writeRetryFor) {
    public Settings {
      if (retainFinished < 0 || maxStepsPerIntent < 0 || writeQueue < 1 || writeBatch < 1
          || flushInterval.isNegative() || flushInterval.isZero() || writeRetryFor.isNegative()) {
        throw new IllegalArgumentException("invalid troupe.trace settings: " + this);
      }
    }

    /** With the reference's write-retry-for (2 minutes). */
    public Settings(int retainFinished, int maxStepsPerIntent, int writeQueue, int writeBatch, Duration flushInterval) {
      this(retainFinished, maxStepsPerIntent, writeQueue, writeBatch, flushInterval, Duration.ofMinutes(2));
    }

    /** From the root config. */
    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("troupe.trace");
      return new Settings(c.getInt("retain-finished"), c.getInt("max-steps-per-intent"), c.getInt("write-queue"),
          c.getInt("write-batch"), c.getDuration("flush-interval"), c.getDuration("write-retry-for"));
    }
  }

  /**
   * Counters since the store started.
   *
   * @param recorded finished intents
   * @param written finished intents written to the sink
   * @param dropped finished intents not written: the queue was full, the write failed twice, or
   *     there was no sink any more when the store closed
   * @param queued finished intents waiting to be written (or being written) now
   * @param droppedSteps steps of running intents beyond {@code max-steps-per-intent}
   */
  public record Stats(long recorded, long written, long dropped, long queued, long droppedSteps) {}

  /** What is recorded of one intent while it runs. */
  private static final class Live {
    final List<Step> steps = new ArrayList<>();
    final List<IntentEvent> events = new ArrayList<>();
  }

  private final Settings settings;
  private final Map<String, Live> running = new ConcurrentHashMap<>();
  private final Map<String, StoredIntent> finished;
  /** Queued or being written: still readable after it left {@link #finished}. */
  private final Map<String, StoredIntent> unwritten = new ConcurrentHashMap<>();
  private final BlockingQueue<StoredIntent> queue;

  private final AtomicLong recorded = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedSteps = new AtomicLong();
  private final AtomicInteger writing = new AtomicInteger(); // the batch in the writer's hands

  private volatile TraceSink sink;
  private volatile Executor sinkExecutor;
  /** Copy on write: read on every step, changed about once per node. */
  private volatile TraceListener[] listeners = new TraceListener[0];
  private volatile long lastListenerWarnNanos = System.nanoTime() - WARN_EVERY_NANOS;

  // The writer thread's life; written under this.
  private volatile Thread writer;
  private volatile boolean closing;
  private final List<CompletableFuture<Void>> detachWaiters = new ArrayList<>();
  private final List<CompletableFuture<Void>> flushWaiters = new ArrayList<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile long lastWarnNanos = System.nanoTime() - WARN_EVERY_NANOS;

  TraceStore(int retainFinished) {
    this(new Settings(retainFinished, 1000, 10_000, 256, Duration.ofMillis(200)));
  }

  public TraceStore(Settings settings) {
    this.settings = settings;
    this.queue = new LinkedBlockingQueue<>(settings.writeQueue());
    this.finished = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, StoredIntent> eldest) {
        return size() > TraceStore.this.settings.retainFinished();
      }
    };
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Writes finished intents behind to {@code sink}, and reads from it on {@code executor} (reads may
   * block: a blocking dispatcher). Replaces a sink attached before; intents still queued go to the
   * new one.
   */
  public void attach(TraceSink sink, Executor executor) {
    synchronized (this) {
      this.sinkExecutor = executor;
      this.sink = sink;
      if (writer == null && !closing) {
        writer = new Thread(this::writeLoop, "troupe-trace-writer");
        writer.setDaemon(true);
        writer.start();
      }
    }
    LockSupport.unpark(writerThread());
  }

  /**
   * Stops using {@code sink}: if it is the attached one, it is no longer given writes or reads. The
   * stage completes once the writer no longer uses it (after a write in progress, even when another
   * sink replaced it meanwhile), so that its connections can be closed then. Intents still queued
   * wait for the next sink.
   */
  public CompletionStage<Void> detach(TraceSink sink) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (this) {
      if (this.sink == sink) this.sink = null;
      if (writer == null || !writer.isAlive()) return CompletableFuture.completedFuture(null);
      detachWaiters.add(done);
    }
    LockSupport.unpark(writerThread());
    return done;
  }

  /** Tells {@code listener} of every step that ends and every intent that finishes from now on. */
  public synchronized void addListener(TraceListener listener) {
    TraceListener[] now = listeners;
    TraceListener[] next = java.util.Arrays.copyOf(now, now.length + 1);
    next[now.length] = listener;
    listeners = next;
  }

  /** Stops telling {@code listener}. */
  public synchronized void removeListener(TraceListener listener) {
    listeners = java.util.Arrays.stream(listeners).filter(l -> l != listener).toArray(TraceListener[]::new);
  }

  // Writing

  /** A finished step (span) of a running intent; beyond {@code max-steps-per-intent} it is dropped. */
  public void step(String intentId, Step step) {
    for (TraceListener l : listeners) {
      try {
        l.stepEnded(intentId, step);
      } catch (RuntimeException e) {
        listenerFailed(l, e);
      }
    }
    Live live = running.computeIfAbsent(intentId, id -> new Live());
    synchronized (live) {
      if (live.steps.size() >= settings.maxStepsPerIntent()) {
        droppedSteps.incrementAndGet();
        return;
      }
      live.steps.add(step);
    }
  }

  /** An event of a running intent's stream. */
  public void event(String intentId, IntentEvent event) {
    Live live = running.computeIfAbsent(intentId, id -> new Live());
    synchronized (live) {
      live.events.add(event);
    }
  }

  /**
   * The intent ended: {@code view} is its final resource without steps; the trace is sealed.
   * Returns the intent as stored, its steps included.
   */
  public StoredIntent finish(IntentView view) {
    Live live = running.remove(view.id());
    List<Step> steps;
    List<IntentEvent> events;
    if (live == null) {
      steps = List.of();
      events = List.of();
    } else {
      synchronized (live) {
        steps = List.copyOf(live.steps);
        events = List.copyOf(live.events);
      }
    }
    StoredIntent stored = new StoredIntent(withSteps(view, steps), events);
    recorded.incrementAndGet();
    for (TraceListener l : listeners) {
      try {
        l.intentFinished(stored);
      } catch (RuntimeException e) {
        listenerFailed(l, e);
      }
    }
    synchronized (finished) {
      finished.put(view.id(), stored);
    }
    if (writer == null || closing) {
      return stored; // no database on this node (yet), or shutting down: the trace lives in memory only
    }
    unwritten.put(view.id(), stored);
    if (!queue.offer(stored)) {
      unwritten.remove(view.id(), stored);
      dropped(1, "the trace write queue is full (" + settings.writeQueue() + ")");
      return stored;
    }
    if (queue.size() >= settings.writeBatch()) {
      LockSupport.unpark(writerThread());
    }
    return stored;
  }

  /**
   * Erases every trace of the session's intents: from memory, from the write queue (written first,
   * so that no later write brings one back), and from the sink. The stage completes once they are
   * gone, or fails with the sink's error.
   */
  public CompletionStage<Void> eraseSession(String sessionId) {
    String prefix = sessionId + ".";
    synchronized (finished) {
      finished.keySet().removeIf(id -> id.startsWith(prefix));
    }
    return flush().thenCompose(written -> {
      unwritten.keySet().removeIf(id -> id.startsWith(prefix));
      TraceSink s = sink;
      Executor e = sinkExecutor;
      if (s == null || e == null) return CompletableFuture.completedFuture(null);
      return CompletableFuture.runAsync(() -> {
        try {
          s.deleteSession(sessionId);
        } catch (Exception ex) {
          throw new IllegalStateException("the trace store could not erase session traces: " + ex.getMessage(), ex);
        }
      }, e);
    });
  }

  /** Forgets a running intent's trace (its session was stopped, the run will resume elsewhere). */
  public void drop(String intentId) {
    running.remove(intentId);
  }

  /** The counters. */
  public Stats stats() {
    return new Stats(recorded.get(), written.get(), dropped.get(), queue.size() + writing.get(), droppedSteps.get());
  }

  /**
   * Writes what is queued now without waiting for the flush interval; the stage completes when it
   * is written, or dropped (at once when no writer runs; while no sink is attached, the queue is
   * kept for the next one).
   */
  public CompletionStage<Void> flush() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t;
    synchronized (this) {
      t = writer;
      if (t == null) return CompletableFuture.completedFuture(null);
      flushWaiters.add(done);
    }
    LockSupport.unpark(t);
    return done;
  }

  /**
   * Writes what is queued and stops the writer; later finished intents stay in memory only. The
   * stage completes when the queue is written (or dropped, when no sink is attached). Idempotent.
   */
  public CompletionStage<Void> close() {
    Thread t;
    synchronized (this) {
      closing = true;
      t = writer;
      if (t == null) {
        closed.complete(null);
      }
    }
    LockSupport.unpark(t);
    return closed;
  }

  // Reading

  /** The steps of a running intent recorded so far, or null when it is not running here. */
  public List<Step> runningSteps(String intentId) {
    Live live = running.get(intentId);
    if (live == null) return null;
    synchronized (live) {
      return List.copyOf(live.steps);
    }
  }

  /** The events of a running intent recorded so far, or null when it is not running here. */
  public List<IntentEvent> runningEvents(String intentId) {
    Live live = running.get(intentId);
    if (live == null) return null;
    synchronized (live) {
      return List.copyOf(live.events);
    }
  }

  /** A finished intent: from memory (or the write queue), else from the sink. */
  public CompletionStage<Optional<StoredIntent>> load(String intentId) {
    Optional<StoredIntent> inMemory = finishedInMemory(intentId);
    if (inMemory.isPresent()) return CompletableFuture.completedFuture(inMemory);
    StoredIntent queued = unwritten.get(intentId);
    if (queued != null) return CompletableFuture.completedFuture(Optional.of(queued));
    TraceSink s = sink;
    Executor e = sinkExecutor;
    if (s == null || e == null) return CompletableFuture.completedFuture(Optional.empty());
    return CompletableFuture.supplyAsync(() -> {
      try {
        return s.read(intentId);
      } catch (Exception ex) {
        throw new IllegalStateException("the trace store could not read " + intentId + ": " + ex.getMessage(), ex);
      }
    }, e);
  }

  /** A finished intent if it is still in memory. */
  public Optional<StoredIntent> finishedInMemory(String intentId) {
    synchronized (finished) {
      return Optional.ofNullable(finished.get(intentId));
    }
  }

  static IntentView withSteps(IntentView v, List<Step> steps) {
    return new IntentView(v.id(), v.sessionId(), v.status(), v.text(), v.metadata(), v.createdNanos(), v.finishedNanos(),
        v.outcome(), steps, v.usage(), v.traceId(), v.sessionUsage(), v.agent());
  }

  // The writer thread

  private Thread writerThread() {
    return writer;
  }

  private boolean isClosing() {
    return closing;
  }

  private synchronized boolean flushRequested() {
    return !flushWaiters.isEmpty();
  }

  private synchronized List<CompletableFuture<Void>> takeFlushWaiters() {
    List<CompletableFuture<Void>> waiters = List.copyOf(flushWaiters);
    flushWaiters.clear();
    return waiters;
  }

  /** Completes the detach stages: the writer is between writes, so a detached sink is no longer used. */
  private void releaseDetached() {
    List<CompletableFuture<Void>> waiters;
    synchronized (this) {
      waiters = List.copyOf(detachWaiters);
      detachWaiters.clear();
    }
    waiters.forEach(w -> w.complete(null));
  }

  private void writeLoop() {
    long flushNanos = settings.flushInterval().toNanos();
    try {
      while (true) {
        releaseDetached();
        if (isClosing()) {
          writeQueued(true);
          return;
        }
        // Full batches as soon as they are; what is left at the latest flush-interval after now.
        long deadline = System.nanoTime() + flushNanos;
        long remaining;
        while (queue.size() < settings.writeBatch() && !isClosing() && !flushRequested()
            && (remaining = deadline - System.nanoTime()) > 0) {
          LockSupport.parkNanos(this, remaining); // woken early by finish, attach, detach, flush or close
          releaseDetached();
        }
        List<CompletableFuture<Void>> flushing = takeFlushWaiters();
        writeQueued(!flushing.isEmpty() || isClosing() || deadline - System.nanoTime() <= 0);
        flushing.forEach(f -> f.complete(null));
      }
    } catch (Throwable t) {
      LOG.error("the trace writer stopped: {}", t.toString());
    } finally {
      releaseDetached();
      synchronized (this) {
        writer = null;
      }
      takeFlushWaiters().forEach(f -> f.complete(null));
      closed.complete(null);
    }
  }

  /** Writes full batches, and with {@code partial} the rest of the queue too. */
  private void writeQueued(boolean partial) {
    while (queue.size() >= settings.writeBatch() || (partial && !queue.isEmpty())) {
      if (sink == null && !isClosing()) return; // detached: the queue waits for the next sink
      List<StoredIntent> batch = new ArrayList<>(Math.min(queue.size(), settings.writeBatch()));
      queue.drainTo(batch, settings.writeBatch());
      if (batch.isEmpty()) return;
      writing.set(batch.size());
      try {
        writeBatch(batch);
      } finally {
        batch.forEach(stored -> unwritten.remove(stored.view().id(), stored));
        writing.set(0);
      }
      releaseDetached();
    }
  }

  /**
   * Tries until written, with backoff, for write-retry-for after the first failure (when closing,
   * one more try at once); then the batch is dropped. The queue fills meanwhile, bounded by write-queue.
   */
  private void writeBatch(List<StoredIntent> batch) {
    long firstFailure = 0;
    long backoff = settings.flushInterval().toNanos();
    for (int attempt = 1; ; attempt++) {
      TraceSink s = sink;
      if (s == null) {
        if (isClosing()) {
          dropped(batch.size(), "no trace sink is attached at shutdown");
          return;
        }
        // Detached: keep the batch until a sink comes back; the queue stays bounded by write-queue.
        for (StoredIntent stored : batch) {
          if (!queue.offer(stored)) {
            unwritten.remove(stored.view().id(), stored);
            dropped(1, "the trace write queue is full (" + settings.writeQueue() + ")");
          } else {
            unwritten.put(stored.view().id(), stored);
          }
        }
        batch.clear();
        return;
      }
      try {
        s.write(List.copyOf(batch));
        written.addAndGet(batch.size());
        return;
      } catch (Exception e) {
        long now = System.nanoTime();
        if (attempt == 1) firstFailure = now;
        boolean givingUp = isClosing() ? attempt >= 2 : now - firstFailure >= settings.writeRetryFor().toNanos();
        if (givingUp) {
          dropped(batch.size(), "writing " + batch.size() + " traces failed " + attempt + " times in "
              + (now - firstFailure) / 1_000_000 + " ms: " + e.getClass().getSimpleName());
          return;
        }
        if (attempt == 1) LOG.warn("writing {} traces failed ({}); trying again for up to {} s", batch.size(),
            e.getClass().getSimpleName(), settings.writeRetryFor().toSeconds());
        if (!isClosing()) {
          LockSupport.parkNanos(this, backoff); // the writer's own thread, not an actor's
          backoff = Math.min(backoff * 2, Duration.ofSeconds(5).toNanos());
        }
      }
    }
  }

  private void listenerFailed(TraceListener listener, RuntimeException e) {
    long now = System.nanoTime();
    if (now - lastListenerWarnNanos >= WARN_EVERY_NANOS) {
      lastListenerWarnNanos = now;
      LOG.warn("a trace listener ({}) failed: {}", listener.getClass().getName(), e.toString());
    }
  }

  private void dropped(int count, String why) {
    dropped.addAndGet(count);
    long now = System.nanoTime();
    long last = lastWarnNanos;
    if (now - last >= WARN_EVERY_NANOS) {
      lastWarnNanos = now;
      LOG.warn("intent traces dropped ({} so far): {}", dropped.get(), why);
    }
  }
}
