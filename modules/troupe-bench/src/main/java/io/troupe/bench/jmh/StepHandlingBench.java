package io.troupe.bench.jmh;

import io.troupe.core.runtime.Subsystems;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionSettings;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The session entity's event handler, which applies each journaled event to SessionState: what
 * the session does for every step once it is written, and again for every event on recovery.
 * The handler is the entity's own, called directly: no journal, no command handling.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StepHandlingBench {

  private LocalSystem.Built<EventSourcedBehavior<SessionEntity.Command, SessionEntity.Event, Object>> built;
  private EventSourcedBehavior<SessionEntity.Command, SessionEntity.Event, Object> entity;
  private EventHandler<Object, SessionEntity.Event> handler;
  private List<SessionEntity.Event> wholeIntent;
  private List<SessionEntity.Event> withoutSteps;

  @Setup(Level.Trial)
  @SuppressWarnings("unchecked")
  public void setUp() {
    built = LocalSystem.withContext("step-handling-bench", ctx -> (EventSourcedBehavior<SessionEntity.Command,
        SessionEntity.Event, Object>) (EventSourcedBehavior<?, ?, ?>) Internals.construct(SessionEntity.class,
        new Class<?>[] {ActorContext.class, TimerScheduler.class, String.class, Subsystems.class,
            SessionSettings.class, ActorRef.class},
        ctx, null, SampleIntent.SESSION_ID, null,
        SessionSettings.fromConfig(ctx.getSystem().settings().config().getConfig("troupe")), null));
    entity = built.value();
    handler = entity.eventHandler();
    SampleIntent intent = new SampleIntent();
    wholeIntent = intent.events();
    withoutSteps = List.of(intent.accepted, intent.started, intent.finished);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    built.system().terminate();
  }

  /** A new session state, then all 43 events of the sample intent (40 of them IntentProgressed). */
  @Benchmark
  public Object applyWholeIntent() {
    return applyAll(wholeIntent);
  }

  /** The same without the 40 progress events: the difference, divided by 40, is one of them. */
  @Benchmark
  public Object applyAcceptStartFinish() {
    return applyAll(withoutSteps);
  }

  private Object applyAll(List<SessionEntity.Event> events) {
    Object state = entity.emptyState();
    for (SessionEntity.Event e : events) {
      state = handler.apply(state, e);
    }
    return state;
  }
}
