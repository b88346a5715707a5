package io.troupe.bench.fanout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The fan-out workload as the smallest plain Pekko program: one actor per session, a timer for
 * each model wait, three tool actors, and nothing else (no guardrail, persistence or tracing).
 * After the last step one more model wait stands for the answer, as in the agent loop.
 */
final class BarePekko {
  private BarePekko() {}

  interface Command {}

  record Start() implements Command {}

  private record ModelAnswered() implements Command {}

  record ToolDone(int step) implements Command {}

  record Call(int step, ActorRef<ToolDone> replyTo) {}

  /** A tool: answers at once, as the calculator does. */
  static Behavior<Call> tool() {
    return Behaviors.receive(Call.class)
        .onMessage(Call.class, call -> {
          call.replyTo().tell(new ToolDone(call.step()));
          return Behaviors.same();
        })
        .build();
  }

  static Behavior<Command> session(int steps, Duration latency, List<ActorRef<Call>> tools, CountDownLatch done) {
    return Behaviors.withTimers(timers -> new Object() {
      int step;
      int waiting;

      Behavior<Command> behavior() {
        ActorRef<ToolDone>[] self = new ActorRef[1];
        return Behaviors.setup(ctx -> {
          self[0] = ctx.getSelf().narrow();
          return Behaviors.receive(Command.class)
              .onMessage(Start.class, m -> {
                timers.startSingleTimer(new ModelAnswered(), latency);
                return Behaviors.same();
              })
              .onMessage(ModelAnswered.class, m -> {
                if (step == steps) {
                  done.countDown(); // the answer
                  return Behaviors.stopped();
                }
                waiting = tools.size();
                for (ActorRef<Call> tool : tools) tool.tell(new Call(step, self[0]));
                return Behaviors.same();
              })
              .onMessage(ToolDone.class, m -> {
                if (--waiting > 0) return Behaviors.same();
                step++;
                timers.startSingleTimer(new ModelAnswered(), latency); // the next step's, or the answer's
                return Behaviors.same();
              })
              .build();
        });
      }
    }.behavior());
  }
}
