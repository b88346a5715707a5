package io.troupe.bench.fanout;

import io.troupe.core.CborSerializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * {@link BarePekko}'s workload with one journal write per resume point, as the smallest event-sourced
 * Pekko program: the intent accepted, each tool turn's results (unless {@code turnWrites} is off), the answer. No guardrail, gateway,
 * registry, spans or sharding. It runs in a Troupe node's actor system, so the journal (in memory,
 * H2 or PostgreSQL) and its serializer are exactly Troupe's: what it costs is the floor that
 * journaling this often puts under any design that journals the same points.
 */
final class BareJournaled {
  private BareJournaled() {}

  /** The timer of a model wait; the other messages and the tools are {@link BarePekko}'s. */
  private record ModelAnswered() implements BarePekko.Command {}

  /** A journal event: what happened, and the text a resume would need, about a turn's size. */
  public record Happened(String what, String text) implements CborSerializable {}

  /**
   * turnWrites: a write after every tool turn too (as Troupe did before it journaled only what a
   * resume needs), else only the acceptance and the answer.
   */
  static Behavior<BarePekko.Command> session(String id, int steps, Duration latency, List<ActorRef<BarePekko.Call>> tools,
      boolean turnWrites, CountDownLatch done) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Session(id, ctx, timers, steps, latency, tools, turnWrites, done)));
  }

  private static final String TURN_TEXT = "{\"result\":\"42\"}".repeat(12);

  private static final class Session extends EventSourcedBehavior<BarePekko.Command, Happened, Integer> {
    private final ActorContext<BarePekko.Command> ctx;
    private final TimerScheduler<BarePekko.Command> timers;
    private final int steps;
    private final Duration latency;
    private final List<ActorRef<BarePekko.Call>> tools;
    private final boolean turnWrites;
    private final CountDownLatch done;
    private final ActorRef<BarePekko.ToolDone> self;
    private int step;
    private int waiting;

    Session(String id, ActorContext<BarePekko.Command> ctx, TimerScheduler<BarePekko.Command> timers, int steps, Duration latency,
        List<ActorRef<BarePekko.Call>> tools, boolean turnWrites, CountDownLatch done) {
      super(PersistenceId.ofUniqueId("bare-" + id));
      this.ctx = ctx;
      this.timers = timers;
      this.steps = steps;
      this.latency = latency;
      this.tools = tools;
      this.turnWrites = turnWrites;
      this.done = done;
      this.self = ctx.getSelf().narrow();
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<BarePekko.Command, Happened, Integer> commandHandler() {
      return (state, command) -> {
        if (command instanceof BarePekko.Start) {
          return Effect().persist(new Happened("accepted", "fan out")).thenRun(s ->
              timers.startSingleTimer(new ModelAnswered(), latency));
        }
        if (command instanceof ModelAnswered) {
          if (step == steps) {
            return Effect().persist(new Happened("finished", "the answer")).thenRun(s -> done.countDown());
          }
          waiting = tools.size();
          for (ActorRef<BarePekko.Call> tool : tools) tool.tell(new BarePekko.Call(step, self));
          return Effect().none();
        }
        if (command instanceof BarePekko.ToolDone && --waiting == 0) {
          step++;
          if (!turnWrites) {
            timers.startSingleTimer(new ModelAnswered(), latency);
            return Effect().none();
          }
          return Effect().persist(new Happened("turn", TURN_TEXT)).thenRun(s ->
              timers.startSingleTimer(new ModelAnswered(), latency));
        }
        return Effect().none();
      };
    }

    @Override
    public EventHandler<Integer, Happened> eventHandler() {
      return (state, event) -> state + 1;
    }
  }
}
