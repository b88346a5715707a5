package io.troupe.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared init of blocking subsystems, hosted by a minimal actor as DatabaseActor and VectorStoreActor host it. */
@ExtendWith(TestKitJUnit5Extension.class)
class BlockingInitTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  static final Duration WAIT = Duration.ofSeconds(5);

  private record Opened(String value, Throwable failure) {}

  private record Query(ActorRef<String> replyTo) {}

  private record Abandon(ActorRef<Boolean> replyTo) {}

  /** Answers a Query with "ready: <value>" or the unavailable error; an Abandon with whether an opening ran. */
  static Behavior<Object> host(String configError, Supplier<CompletableFuture<String>> open) {
    return Behaviors.setup(ctx -> {
      BlockingInit<String, Object> init = BlockingInit.create(ctx, "thing", configError, Opened::new);
      String[] value = new String[1];
      return Behaviors.receive(Object.class)
          .onMessage(Lifecycle.Init.class, m -> {
            init.onInit(m, open);
            return Behaviors.same();
          })
          .onMessage(Opened.class, m -> {
            if (m.failure() == null) {
              value[0] = m.value();
              init.succeeded();
            } else {
              init.failed(BlockingInit.unwrap(m.failure()).getMessage());
            }
            return Behaviors.same();
          })
          .onMessage(Query.class, m -> {
            m.replyTo().tell(init.isReady() ? "ready: " + value[0] : init.unavailable());
            return Behaviors.same();
          })
          .onMessage(Abandon.class, m -> {
            m.replyTo().tell(init.abandon() != null);
            return Behaviors.same();
          })
          .build();
    });
  }

  @Test
  void initsThatComeWhileItOpensShareTheOpeningAndAreAllAnswered() {
    AtomicInteger opens = new AtomicInteger();
    CompletableFuture<String> opening = new CompletableFuture<>();
    ActorRef<Object> actor = testKit.spawn(host(null, () -> {
      opens.incrementAndGet();
      return opening;
    }));
    TestProbe<Lifecycle.Initialized> first = testKit.createTestProbe();
    TestProbe<Lifecycle.Initialized> second = testKit.createTestProbe();
    TestProbe<String> query = testKit.createTestProbe();

    actor.tell(new Lifecycle.Init(first.getRef()));
    actor.tell(new Lifecycle.Init(second.getRef()));
    actor.tell(new Query(query.getRef()));
    assertEquals("unavailable: the thing subsystem is not ready", query.receiveMessage(WAIT));
    first.expectNoMessage(Duration.ofMillis(100));

    opening.complete("pool");
    assertEquals(Lifecycle.Initialized.ok("thing"), first.receiveMessage(WAIT));
    assertEquals(Lifecycle.Initialized.ok("thing"), second.receiveMessage(WAIT));
    actor.tell(new Query(query.getRef()));
    assertEquals("ready: pool", query.receiveMessage(WAIT));

    // Ready: a later Init is answered at once, without opening again.
    TestProbe<Lifecycle.Initialized> third = testKit.createTestProbe();
    actor.tell(new Lifecycle.Init(third.getRef()));
    assertEquals(Lifecycle.Initialized.ok("thing"), third.receiveMessage(WAIT));
    assertEquals(1, opens.get());
  }

  @Test
  void aFailedOpeningOnTheBlockingExecutorFailsTheInitAndTheNextInitTriesAgain() {
    AtomicInteger opens = new AtomicInteger();
    Executor blocking = testKit.system().dispatchers().lookup(
        org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    ActorRef<Object> actor = testKit.spawn(Behaviors.setup(ctx -> {
      BlockingInit<String, Object> init = BlockingInit.create(ctx, "thing", null, Opened::new);
      return Behaviors.receive(Object.class)
          .onMessage(Lifecycle.Init.class, m -> {
            init.onInit(m, () -> {
              if (opens.incrementAndGet() == 1) {
                throw new IOException("connection refused"); // a checked exception, as JDBC throws
              }
              return "index";
            }, blocking);
            return Behaviors.same();
          })
          .onMessage(Opened.class, m -> {
            if (m.failure() == null) {
              init.succeeded();
            } else {
              init.failed(BlockingInit.unwrap(m.failure()).getMessage());
            }
            return Behaviors.same();
          })
          .onMessage(Query.class, m -> {
            m.replyTo().tell(init.isReady() ? "ready" : init.unavailable());
            return Behaviors.same();
          })
          .build();
    }));
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    TestProbe<String> query = testKit.createTestProbe();

    actor.tell(new Lifecycle.Init(probe.getRef()));
    assertEquals(Lifecycle.Initialized.failed("thing", "connection refused"), probe.receiveMessage(WAIT));
    actor.tell(new Query(query.getRef()));
    assertEquals("unavailable: the thing subsystem is not ready (connection refused)", query.receiveMessage(WAIT));

    actor.tell(new Lifecycle.Init(probe.getRef()));
    assertEquals(Lifecycle.Initialized.ok("thing"), probe.receiveMessage(WAIT));
    actor.tell(new Query(query.getRef()));
    assertEquals("ready", query.receiveMessage(WAIT));
    assertEquals(2, opens.get());
  }

  @Test
  void invalidSettingsFailEveryInitWithTheirReasonAndNeverOpen() {
    AtomicInteger opens = new AtomicInteger();
    ActorRef<Object> actor = testKit.spawn(host("invalid configuration: max-rows must be positive", () -> {
      opens.incrementAndGet();
      return CompletableFuture.completedFuture("never");
    }));
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    TestProbe<String> query = testKit.createTestProbe();

    for (int i = 0; i < 2; i++) {
      actor.tell(new Lifecycle.Init(probe.getRef()));
      Lifecycle.Initialized reply = probe.receiveMessage(WAIT);
      assertEquals("invalid configuration: max-rows must be positive", reply.error());
    }
    actor.tell(new Query(query.getRef()));
    assertTrue(query.receiveMessage(WAIT).endsWith("(invalid configuration: max-rows must be positive)"));
    assertEquals(0, opens.get());
  }

  @Test
  void abandoningHandsOverTheRunningOpeningAndLeavesItNotReady() {
    CompletableFuture<String> opening = new CompletableFuture<>();
    ActorRef<Object> actor = testKit.spawn(host(null, () -> opening));
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    TestProbe<Boolean> abandoned = testKit.createTestProbe();
    TestProbe<String> query = testKit.createTestProbe();

    actor.tell(new Abandon(abandoned.getRef()));
    assertEquals(false, abandoned.receiveMessage(WAIT)); // nothing runs yet
    actor.tell(new Lifecycle.Init(probe.getRef()));
    actor.tell(new Abandon(abandoned.getRef()));
    assertEquals(true, abandoned.receiveMessage(WAIT));

    actor.tell(new Abandon(abandoned.getRef()));
    assertEquals(false, abandoned.receiveMessage(WAIT)); // handed over once
    actor.tell(new Query(query.getRef()));
    assertEquals("unavailable: the thing subsystem is not ready", query.receiveMessage(WAIT));

    // The actors abandon only when they stop, so no InitDone reaches them after it; a host that went on
    // would still adopt a late opening, and its waiter gets the answer.
    opening.complete("late");
    assertEquals(Lifecycle.Initialized.ok("thing"), probe.receiveMessage(WAIT));
  }
}
