package io.troupe.core.trace;

import static io.troupe.core.trace.TraceFixtures.event;
import static io.troupe.core.trace.TraceFixtures.step;
import static io.troupe.core.trace.TraceFixtures.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Step;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TraceStoreTest {

  private static final Duration LONG = Duration.ofHours(1); // never reached: only full batches and close write

  private final ExecutorService reads = Executors.newSingleThreadExecutor();
  private TraceStore store;

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) store.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    reads.shutdownNow();
  }

  private TraceStore store(int retain, int maxSteps, int queue, int batch, Duration flush) {
    store = new TraceStore(new TraceStore.Settings(retain, maxSteps, queue, batch, flush));
    return store;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Retries {@code assertion} for up to 10 s: for state another thread is about to reach. */
  private static void eventually(Runnable assertion) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        assertion.run();
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) throw e;
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  private static void finish(TraceStore store, String id) {
    store.step(id, step(1, null));
    store.event(id, event(1));
    store.finish(view(id, "s-1"));
  }

  @Test
  void settingsComeFromTheReferenceConfig() {
    TraceStore.Settings s = TraceStore.Settings.fromConfig(ConfigFactory.load());
    assertEquals(new TraceStore.Settings(256, 1000, 10_000, 256, Duration.ofMillis(200)), s);
  }

  @Test
  void aFinishedIntentKeepsItsStepsAndEvents() throws Exception {
    TraceStore store = store(10, 100, 100, 10, LONG);
    Step s1 = step(1, null);
    store.step("i-1", s1);
    store.event("i-1", event(1));
    assertEquals(List.of(s1), store.runningSteps("i-1"));
    assertEquals(List.of(event(1)), store.runningEvents("i-1"));
    IntentView view = view("i-1", "s-1");
    store.finish(view);
    assertNull(store.runningSteps("i-1"));
    StoredIntent stored = await(store.load("i-1")).orElseThrow();
    assertEquals(TraceStore.withSteps(view, List.of(s1)), stored.view());
    assertEquals(List.of(event(1)), stored.events());
    assertEquals(new TraceStore.Stats(1, 0, 0, 0, 0), store.stats()); // no sink: memory only
  }

  @Test
  void fullBatchesAreWrittenAtOnceAndTheRestAtTheFlushInterval() throws Exception {
    FakeSink sink = new FakeSink();
    TraceStore store = store(100, 100, 100, 3, LONG);
    store.attach(sink, reads);
    for (int i = 1; i <= 7; i++) finish(store, "i-" + i);
    sink.awaitAttempts(2);
    assertEquals(List.of(3, 3), sink.batchSizes());
    // The seventh waits for the flush interval. The sink saw the second batch before the writer
    // let go of it (stats count a batch being written as queued): wait for that, bounded.
    eventually(() -> assertEquals(1, store.stats().queued()));
    await(store.flush());
    assertEquals(List.of(3, 3, 1), sink.batchSizes());
    assertEquals(new TraceStore.Stats(7, 7, 0, 0, 0), store.stats());

    FakeSink timed = new FakeSink();
    TraceStore second = new TraceStore(new TraceStore.Settings(100, 100, 100, 256, Duration.ofMillis(20)));
    try {
      second.attach(timed, reads);
      finish(second, "t-1");
      timed.awaitAttempts(1); // within the flush interval, not a full batch
      assertEquals(List.of(1), timed.batchSizes());
    } finally {
      await(second.close());
    }
  }

  @Test
  void aGracefulCloseWritesWhatIsQueued() throws Exception {
    FakeSink sink = new FakeSink();
    TraceStore store = store(100, 100, 100, 3, LONG);
    store.attach(sink, reads);
    for (int i = 1; i <= 5; i++) finish(store, "i-" + i);
    sink.awaitAttempts(1);
    await(store.close());
    assertEquals(List.of(3, 2), sink.batchSizes());
    assertEquals(new TraceStore.Stats(5, 5, 0, 0, 0), store.stats());
    // After the close, finished intents stay in memory only.
    finish(store, "late");
    assertTrue(store.finishedInMemory("late").isPresent());
    assertEquals(new TraceStore.Stats(6, 5, 0, 0, 0), store.stats());
  }

  @Test
  void whenTheQueueIsFullTracesAreDroppedAndCounted() throws Exception {
    FakeSink sink = new FakeSink();
    TraceStore store = store(100, 100, 2, 100, LONG);
    store.attach(sink, reads);
    for (int i = 1; i <= 5; i++) finish(store, "i-" + i);
    assertEquals(new TraceStore.Stats(5, 0, 3, 2, 0), store.stats());
    assertTrue(store.finishedInMemory("i-5").isPresent()); // dropped from the write, not from memory
    await(store.close());
    assertEquals(List.of(2), sink.batchSizes());
    assertEquals(java.util.Set.of("i-1", "i-2"), sink.rows.keySet());
    assertEquals(new TraceStore.Stats(5, 2, 3, 0, 0), store.stats());
  }

  @Test
  void readsComeFromTheSinkOnceTheIntentLeftMemory() throws Exception {
    FakeSink sink = new FakeSink();
    TraceStore store = store(2, 100, 100, 1, LONG);
    store.attach(sink, reads);
    for (int i = 1; i <= 4; i++) finish(store, "i-" + i);
    await(store.flush());
    assertEquals(4, sink.rows.size());
    assertEquals(Optional.empty(), store.finishedInMemory("i-1"));
    assertTrue(store.finishedInMemory("i-4").isPresent());
    StoredIntent fromSink = await(store.load("i-1")).orElseThrow();
    assertEquals(sink.rows.get("i-1"), fromSink);
    assertEquals(1, sink.reads.get());
    assertEquals(1, fromSink.view().steps().size());
    await(store.load("i-4")); // memory: no read
    assertEquals(1, sink.reads.get());
    assertEquals(Optional.empty(), await(store.load("unknown")));
    assertEquals(2, sink.reads.get());
  }

  @Test
  void queuedIntentsStayReadableAfterTheyLeftMemory() throws Exception {
    FakeSink sink = new FakeSink();
    TraceStore store = store(1, 100, 100, 100, LONG);
    store.attach(sink, reads);
    finish(store, "i-1");
    finish(store, "i-2");
    assertEquals(Optional.empty(), store.finishedInMemory("i-1"));
    assertEquals("i-1", await(store.load("i-1")).orElseThrow().view().id());
    assertEquals(0, sink.reads.get());
  }

  @Test
  void aFailedWriteIsTriedAgainUntilItIsWrittenOrWriteRetryForHasPassed() throws Exception {
    FakeSink flaky = new FakeSink();
    flaky.failuresLeft.set(3);
    store = new TraceStore(new TraceStore.Settings(100, 100, 100, 1, Duration.ofMillis(10), Duration.ofSeconds(10)));
    store.attach(flaky, reads);
    finish(store, "i-1");
    await(store.flush());
    assertEquals(4, flaky.attempts.get());
    assertEquals(List.of(1), flaky.batchSizes());
    assertEquals(new TraceStore.Stats(1, 1, 0, 0, 0), store.stats());
    store.close().toCompletableFuture().get(10, TimeUnit.SECONDS);

    FakeSink down = new FakeSink();
    down.failuresLeft.set(Integer.MAX_VALUE);
    store = new TraceStore(new TraceStore.Settings(100, 100, 100, 1, Duration.ofMillis(10), Duration.ofMillis(100)));
    store.attach(down, reads);
    finish(store, "i-2");
    await(store.flush());
    assertEquals(new TraceStore.Stats(1, 0, 1, 0, 0), store.stats());
    assertTrue(down.attempts.get() >= 3, "tried for write-retry-for: " + down.attempts.get());
  }

  @Test
  void stepsBeyondTheBoundAreDroppedAndCounted() {
    TraceStore store = store(10, 2, 100, 10, LONG);
    for (int i = 1; i <= 5; i++) store.step("i-1", step(i, null));
    assertEquals(List.of(1, 2), store.runningSteps("i-1").stream().map(Step::seq).toList());
    assertEquals(3, store.stats().droppedSteps());
    store.finish(view("i-1", "s-1"));
    assertEquals(2, store.finishedInMemory("i-1").orElseThrow().view().steps().size());
  }

  @Test
  void aDetachedSinkIsNoLongerUsedAndTheQueueWaitsForTheNextOne() throws Exception {
    FakeSink first = new FakeSink();
    TraceStore store = store(100, 100, 100, 1, LONG);
    store.attach(first, reads);
    finish(store, "i-1");
    first.awaitAttempts(1);
    await(store.detach(first));
    finish(store, "i-2");
    assertEquals(1, store.stats().queued());
    await(store.detach(first)); // no longer attached: at once
    FakeSink second = new FakeSink();
    store.attach(second, reads);
    second.awaitAttempts(1);
    assertEquals(java.util.Set.of("i-1"), first.rows.keySet());
    assertEquals(java.util.Set.of("i-2"), second.rows.keySet());
  }

  @Test
  void theActorSystemsShutdownWritesTheQueue() throws Exception {
    ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
        "troupe.trace { flush-interval = 1h, write-batch = 1000 }").withFallback(ConfigFactory.load()));
    FakeSink sink = new FakeSink();
    TraceStore store = TraceStore.get(testKit.system());
    assertEquals(1000, store.settings().writeBatch());
    store.attach(sink, reads);
    for (int i = 1; i <= 3; i++) finish(store, "i-" + i);
    assertEquals(0, sink.attempts.get());
    testKit.shutdownTestKit();
    assertEquals(List.of(3), sink.batchSizes());
    assertEquals(3, store.stats().written());
  }

  @Test
  void listenersAreToldOfEachStepAndEachFinishedIntentAndOneThatThrowsDoesNotStopTheRecording() {
    TraceStore store = store(10, 1, 100, 10, LONG);
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    store.addListener(new TraceListener() {
      @Override
      public void stepEnded(String intentId, Step step) {
        throw new IllegalStateException("a broken listener");
      }

      @Override
      public void intentFinished(StoredIntent intent) {
        throw new IllegalStateException("a broken listener");
      }
    });
    TraceListener good = new TraceListener() {
      @Override
      public void stepEnded(String intentId, Step step) {
        heard.add("step " + intentId + " " + step.seq());
      }

      @Override
      public void intentFinished(StoredIntent intent) {
        heard.add("finished " + intent.view().id() + " with " + intent.view().steps().size() + " step(s)");
      }
    };
    store.addListener(good);
    store.step("i-1", step(1, null));
    store.step("i-1", step(2, null)); // beyond max-steps-per-intent: dropped from the trace, still heard
    store.finish(view("i-1", "s-1"));
    assertEquals(List.of("step i-1 1", "step i-1 2", "finished i-1 with 1 step(s)"), heard);
    assertEquals(1, store.stats().droppedSteps());

    store.removeListener(good);
    store.step("i-2", step(1, null));
    assertEquals(3, heard.size());
  }
}
