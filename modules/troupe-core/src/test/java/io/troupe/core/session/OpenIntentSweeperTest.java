package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.db.Database;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sweeper asks the database on each tick and wakes every session it names. */
@ExtendWith(TestKitJUnit5Extension.class)
class OpenIntentSweeperTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.manualTimeCluster());

  private final ManualTime manualTime = ManualTime.get(testKit.system());
  private final TestProbe<Database.Command> database = testKit.createTestProbe();
  private final TestProbe<String> woken = testKit.createTestProbe();

  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(2);

  private ActorRef<OpenIntentSweeper.Command> sweeper() {
    var settings = new OpenIntentSweeper.Settings(INTERVAL, REPLY_TIMEOUT, 500);
    return testKit.spawn(OpenIntentSweeper.create(database.getRef(), settings, woken.getRef()::tell));
  }

  private Database.FindOpenSessions nextQuestion() {
    manualTime.expectNoMessageFor(INTERVAL.minusMillis(1), database);
    manualTime.timePasses(Duration.ofMillis(1));
    return database.expectMessageClass(Database.FindOpenSessions.class);
  }

  @Test
  void asksOnEachTickAndWakesEverySessionInTheAnswer() {
    sweeper();
    Database.FindOpenSessions first = nextQuestion();
    assertEquals(500, first.limit());
    first.replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("s-1", "s-2"))));
    assertEquals("s-1", woken.receiveMessage());
    assertEquals("s-2", woken.receiveMessage());

    Database.FindOpenSessions second = nextQuestion();
    second.replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of())));
    Database.FindOpenSessions third = nextQuestion();
    third.replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("s-3"))));
    assertEquals("s-3", woken.receiveMessage());
    woken.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void tellsTheSessionsWithIntentsWaitingInTheInboxToTakeThem() {
    TestProbe<String> told = testKit.createTestProbe();
    var store = new io.troupe.core.inbox.InboxStore() {
      @Override
      public io.troupe.core.inbox.InboxEntry put(io.troupe.core.inbox.InboxEntry entry) {
        return entry;
      }

      @Override
      public List<io.troupe.core.inbox.InboxEntry> pending(String sessionId, int limit) {
        return List.of();
      }

      @Override
      public void remove(List<Long> inboxIds) {}

      @Override
      public List<String> sessionsWithPending(long olderThanMillis, int limit) {
        return List.of("s-9", "s-4");
      }
    };
    var inbox = io.troupe.core.inbox.IntentInbox.get(testKit.system());
    inbox.attach(store, Runnable::run);
    var settings = new OpenIntentSweeper.Settings(INTERVAL, REPLY_TIMEOUT, 500);
    testKit.spawn(OpenIntentSweeper.create(database.getRef(), settings, woken.getRef()::tell, told.getRef()::tell));
    nextQuestion().replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("s-1"))));
    assertEquals(List.of("s-9", "s-4"), List.of(told.receiveMessage(), told.receiveMessage()));
    assertEquals("s-1", woken.receiveMessage());
    inbox.detach(store);
  }

  @Test
  void aMemberThatLeftIsLookedForOnceItsShardsMayStartElsewhere() {
    var config = ConfigFactory.parseString("pekko.cluster.down-removal-margin = 1s\n"
        + "pekko.cluster.split-brain-resolver.stable-after = 3s");
    assertEquals(Duration.ofMillis(1200), OpenIntentSweeper.afterMemberLeft(config));
    var marginOff = ConfigFactory.parseString("pekko.cluster.down-removal-margin = off\n"
        + "pekko.cluster.split-brain-resolver.stable-after = 3s");
    assertEquals(Duration.ofMillis(3200), OpenIntentSweeper.afterMemberLeft(marginOff));
  }

  @Test
  void aFailedAnswerWakesNothingAndTheNextTickAsksAgain() {
    ActorRef<OpenIntentSweeper.Command> sweeper = sweeper();
    nextQuestion().replyTo().tell(StatusReply.error("database unavailable"));
    woken.expectNoMessage(Duration.ofMillis(50));

    nextQuestion().replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("s-1"))));
    assertEquals("s-1", woken.receiveMessage());
    assertAlive(sweeper);
  }

  @Test
  void aMissingAnswerIsGivenUpAfterTheTimeoutAndALateOneIsIgnored() {
    ActorRef<OpenIntentSweeper.Command> sweeper = sweeper();
    Database.FindOpenSessions unanswered = nextQuestion();
    manualTime.timePasses(REPLY_TIMEOUT);
    // The answer comes after the timeout, with no question open: nobody is woken.
    unanswered.replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("late"))));
    woken.expectNoMessage(Duration.ofMillis(50));

    // The next tick (5 s after the first) asks again.
    manualTime.expectNoMessageFor(INTERVAL.minus(REPLY_TIMEOUT).minusMillis(1), database);
    manualTime.timePasses(Duration.ofMillis(1));
    database.expectMessageClass(Database.FindOpenSessions.class).replyTo()
        .tell(StatusReply.success(new Database.OpenSessions(List.of("s-1"))));
    assertEquals("s-1", woken.receiveMessage());
    assertAlive(sweeper);
  }

  @Test
  void aTickWhileAQuestionIsOpenAsksNothing() {
    var settings = new OpenIntentSweeper.Settings(INTERVAL, Duration.ofSeconds(12), 500);
    testKit.spawn(OpenIntentSweeper.create(database.getRef(), settings, woken.getRef()::tell));
    Database.FindOpenSessions slow = nextQuestion();
    // Two more ticks pass while it is open: no second question.
    manualTime.expectNoMessageFor(INTERVAL.multipliedBy(2), database);
    slow.replyTo().tell(StatusReply.success(new Database.OpenSessions(List.of("s-1"))));
    assertEquals("s-1", woken.receiveMessage());
    manualTime.timePasses(INTERVAL);
    database.expectMessageClass(Database.FindOpenSessions.class);
  }

  @Test
  void theDefaultsAndZeroDisables() {
    var troupe = ConfigFactory.load().getConfig("troupe");
    var defaults = OpenIntentSweeper.Settings.fromConfig(troupe);
    assertEquals(Duration.ofSeconds(5), defaults.interval());
    assertTrue(defaults.enabled());
    var off = OpenIntentSweeper.Settings.fromConfig(
        ConfigFactory.parseString("troupe.agent.recovery.interval = 0s").withFallback(ConfigFactory.load()).getConfig("troupe"));
    assertFalse(off.enabled());
    assertFalse(troupe.getBoolean("cluster.remember-sessions"));
  }

  /** Not crashed (it runs unsupervised here, so a crash would stop it): it still asks on the next tick. */
  private void assertAlive(ActorRef<OpenIntentSweeper.Command> sweeper) {
    manualTime.timePasses(INTERVAL);
    database.expectMessageClass(Database.FindOpenSessions.class);
  }
}
