package io.troupe.core.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Asks from the edge complete on the replying thread, so their callbacks never start a thread. */
@ExtendWith(TestKitJUnit5Extension.class)
class AsksTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  interface Message {}

  record Ping(String text, ActorRef<String> replyTo) implements Message {}

  /** Releases the held ping's reply: the test attaches its callback before the reply exists. */
  record Release() implements Message {}

  record Check(String text, ActorRef<StatusReply<String>> replyTo) {}

  @Test
  void callbacksRunOnTheThreadThatReplied() throws Exception {
    AtomicReference<Thread> replying = new AtomicReference<>();
    AtomicReference<Ping> held = new AtomicReference<>();
    ActorRef<Message> echo = testKit.spawn(Behaviors.receiveMessage(m -> {
      if (m instanceof Ping p) {
        held.set(p);
      } else if (held.get() != null) {
        replying.set(Thread.currentThread());
        held.get().replyTo().tell(held.get().text());
      }
      return Behaviors.same();
    }));

    CompletableFuture<Thread> ranOn = Asks.<Message, String>ask(echo, replyTo -> new Ping("hi", replyTo),
            Duration.ofSeconds(3), testKit.scheduler())
        .thenApply(text -> Thread.currentThread());
    echo.tell(new Release()); // the ping is ahead of it in the mailbox
    Thread callback = ranOn.get(3, TimeUnit.SECONDS);

    assertSame(replying.get(), callback, "the callback ran on " + callback.getName());
  }

  @Test
  void anErrorReplyFailsTheFuture() {
    ActorRef<Check> checker = testKit.spawn(Behaviors.receiveMessage(c -> {
      c.replyTo().tell(c.text().isEmpty() ? StatusReply.error("empty") : StatusReply.success(c.text()));
      return Behaviors.same();
    }));

    CompletableFuture<String> ok = Asks.askWithStatus(checker, replyTo -> new Check("x", replyTo),
        Duration.ofSeconds(3), testKit.scheduler());
    CompletableFuture<String> failed = Asks.askWithStatus(checker, replyTo -> new Check("", replyTo),
        Duration.ofSeconds(3), testKit.scheduler());

    assertEquals("x", ok.join());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> failed.get(3, TimeUnit.SECONDS));
    assertInstanceOf(StatusReply.ErrorMessage.class, e.getCause());
    assertEquals("empty", e.getCause().getMessage());
  }
}
