package io.troupe.core.trace;

import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The spans (steps) and stream events of the intents of this node. Steps are not journal events:
 * a run records them here as it goes; a finished intent's trace stays in memory for a while, and is
 * written behind to a {@link TraceSink} (a table of the node's database) in batches, from where
 * reads come once it has left memory. A crash may lose the spans of a running intent; the journal
 * keeps what a resume needs.
 *
 * <p>Writes are cheap and never block: the session entity calls them on its own thread.
 */
public final class TraceStore implements Extension {

  private static final ExtensionId<TraceStore> ID = new ExtensionId<>() {
    @Override
    public TraceStore createExtension(ActorSystem<?> system) {
      return new TraceStore(system.settings().config().getInt("troupe.trace.retain-finished"));
    }
  };

  public static TraceStore get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** What is recorded of one intent while it runs. */
  private static final class Live {
    final List<Step> steps = new ArrayList<>();
    final List<IntentEvent> events = new ArrayList<>();
  }

  private final int retainFinished;
  private final Map<String, Live> running = new ConcurrentHashMap<>();
  private final Map<String, StoredIntent> finished;
  private volatile TraceSink sink;
  private volatile Executor sinkExecutor;

  TraceStore(int retainFinished) {
    this.retainFinished = retainFinished;
    this.finished = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, StoredIntent> eldest) {
        return size() > TraceStore.this.retainFinished;
      }
    };
  }

  /** Writes finished intents behind to {@code sink}, and reads from it, on {@code executor}. */
  public void attach(TraceSink sink, Executor executor) {
    this.sinkExecutor = executor;
    this.sink = sink;
  }

  // Writing

  /** A finished step (span) of a running intent. */
  public void step(String intentId, Step step) {
    Live live = running.computeIfAbsent(intentId, id -> new Live());
    synchronized (live) {
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

  /** The intent ended: {@code view} is its final resource without steps; the trace is sealed. */
  public void finish(IntentView view) {
    Live live = running.remove(view.id());
    List<Step> steps = live == null ? List.of() : List.copyOf(live.steps);
    List<IntentEvent> events = live == null ? List.of() : List.copyOf(live.events);
    StoredIntent stored = new StoredIntent(withSteps(view, steps), events);
    synchronized (finished) {
      finished.put(view.id(), stored);
    }
    TraceSink s = sink;
    if (s != null) {
      Executor e = sinkExecutor;
      e.execute(() -> {
        try {
          s.write(List.of(stored));
        } catch (Exception ignored) {
          // a lost trace is allowed; counted by the write-behind queue
        }
      });
    }
  }

  /** Forgets a running intent's trace (its session was stopped, the run will resume elsewhere). */
  public void drop(String intentId) {
    running.remove(intentId);
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

  /** A finished intent: from memory, else from the sink. */
  public CompletionStage<Optional<StoredIntent>> load(String intentId) {
    StoredIntent inMemory;
    synchronized (finished) {
      inMemory = finished.get(intentId);
    }
    if (inMemory != null) return CompletableFuture.completedFuture(Optional.of(inMemory));
    TraceSink s = sink;
    if (s == null) return CompletableFuture.completedFuture(Optional.empty());
    return CompletableFuture.supplyAsync(() -> {
      try {
        return s.read(intentId);
      } catch (Exception e) {
        throw new IllegalStateException("the trace store could not read " + intentId + ": " + e.getMessage(), e);
      }
    }, sinkExecutor);
  }

  /** A finished intent if it is still in memory. */
  public Optional<StoredIntent> finishedInMemory(String intentId) {
    synchronized (finished) {
      return Optional.ofNullable(finished.get(intentId));
    }
  }

  static IntentView withSteps(IntentView v, List<Step> steps) {
    return new IntentView(v.id(), v.sessionId(), v.status(), v.text(), v.metadata(), v.createdNanos(), v.finishedNanos(),
        v.outcome(), steps, v.usage(), v.traceId(), v.sessionUsage());
  }
}
