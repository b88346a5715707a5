package io.troupe.core.runtime;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Wraps a subsystem so that an exception restarts it and tells the supervisor what happened. The
 * supervisor then marks it down with the cause and initializes the fresh instance after a backoff.
 */
final class CrashReporter<T> extends BehaviorInterceptor<T, T> {
  private final String subsystem;
  private final ActorRef<RuntimeSupervisor.Command> supervisor;

  private CrashReporter(Class<T> type, String subsystem, ActorRef<RuntimeSupervisor.Command> supervisor) {
    super(type);
    this.subsystem = subsystem;
    this.supervisor = supervisor;
  }

  @SuppressWarnings("unchecked")
  static <T> Behavior<T> supervised(
      String subsystem, Behavior<T> behavior, ActorRef<RuntimeSupervisor.Command> supervisor) {
    Class<T> any = (Class<T>) Object.class;
    return Behaviors.supervise(Behaviors.intercept(() -> new CrashReporter<>(any, subsystem, supervisor), behavior))
        .onFailure(SupervisorStrategy.restart());
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    try {
      return target.apply(ctx, msg);
    } catch (RuntimeException e) {
      supervisor.tell(new RuntimeSupervisor.SubsystemCrashed(subsystem, describe(e)));
      throw e;
    }
  }

  @Override
  public Behavior<T> aroundStart(TypedActorContext<T> ctx, PreStartTarget<T> target) {
    try {
      return target.start(ctx);
    } catch (RuntimeException e) {
      supervisor.tell(new RuntimeSupervisor.SubsystemCrashed(subsystem, describe(e)));
      throw e;
    }
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
