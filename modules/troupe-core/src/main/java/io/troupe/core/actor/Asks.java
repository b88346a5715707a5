package io.troupe.core.actor;

import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.util.Timeout;
import scala.reflect.ClassTag;
import scala.util.Try;

/**
 * {@code ActorContext.ask} for the few asks inside a node that are not on the hot path (the
 * supervisor's Init of each subsystem, once per start-up or restart); ask-ok. The intent path talks
 * by tell with correlation ids. The Java API's ask goes through a CompletionStage whose
 * callback is handed to the JDK's common pool, which on a machine of two cores starts a new thread
 * for every reply unless its parallelism is raised. The Scala API's ask completes on the replying
 * thread and goes straight to the mailbox: the same protocol, no common pool.
 */
public final class Asks {
  private Asks() {}

  public static <Req, Res, T> void ask(
      ActorContext<T> ctx,
      Class<Res> replyClass,
      RecipientRef<Req> target,
      Duration timeout,
      Function<ActorRef<Res>, Req> createRequest,
      BiFunction<Res, Throwable, T> applyToResponse) {
    ctx.asScala().ask(
        target,
        createRequest::apply,
        (Try<Res> result) -> result.isSuccess()
            ? applyToResponse.apply(result.get(), null)
            : applyToResponse.apply(null, result.failed().get()),
        Timeout.create(timeout),
        ClassTag.apply(replyClass));
  }
}
