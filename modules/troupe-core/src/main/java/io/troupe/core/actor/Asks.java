package io.troupe.core.actor;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.util.Timeout;
import scala.reflect.ClassTag;
import scala.util.Try;

/**
 * Every ask of the node goes through here. The intent path talks by tell with correlation ids; asks
 * are for the edge (an HTTP request waiting for its answer) and for the few exchanges off the hot path
 * (the supervisor's Init of each subsystem); ask-ok.
 *
 * <p>Why not Pekko's Java API directly: its ask answers with a stage whose non-async callbacks, and
 * {@code ActorContext.ask}'s adapter, are handed to the JDK's common pool, which on a machine of two
 * cores starts a new thread for every reply. The asks here complete on the replying thread: inside an
 * actor through the Scala API (straight to the mailbox), outside it as a plain CompletableFuture.
 */
public final class Asks {
  private Asks() {}

  private static final Executor REPLYING_THREAD = Runnable::run;

  /**
   * An ask from outside the actors (an HTTP request waiting for its answer; ask-ok), as a plain
   * {@link CompletableFuture} that completes on the replying thread: {@code thenApply} and the like
   * run there, and never start a thread of their own (see {@link #onReplyingThread}).
   */
  public static <Req, Res> CompletableFuture<Res> ask(
      RecipientRef<Req> target, Function<ActorRef<Res>, Req> createRequest, Duration timeout, Scheduler scheduler) {
    return onReplyingThread(AskPattern.ask(target, createRequest::apply, timeout, scheduler));
  }

  /** {@link #ask} for a {@link StatusReply}: an error reply fails the future. */
  public static <Req, Res> CompletableFuture<Res> askWithStatus(
      RecipientRef<Req> target, Function<ActorRef<StatusReply<Res>>, Req> createRequest, Duration timeout,
      Scheduler scheduler) {
    return onReplyingThread(AskPattern.askWithStatus(target, createRequest::apply, timeout, scheduler));
  }

  /**
   * The Java API's ask answers with a stage whose non-async callbacks ({@code thenApply},
   * {@code exceptionally}...) run on the JDK's common pool; with two cores that pool has parallelism
   * one, and the JDK then starts a new thread for every callback. This copy completes where the
   * reply arrives, and its callbacks run there: inside the replying actor's turn, so they must stay
   * short and never block (building a response is fine; I/O is not).
   */
  public static <T> CompletableFuture<T> onReplyingThread(CompletionStage<T> stage) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure != null) plain.completeExceptionally(failure);
      else plain.complete(value);
    }, REPLYING_THREAD);
    return plain;
  }

  /** {@link #ask(ActorContext, Class, RecipientRef, Duration, Function, BiFunction)} for a {@link StatusReply}. */
  public static <Req, Res, T> void askWithStatus(
      ActorContext<T> ctx,
      Class<Res> replyClass,
      RecipientRef<Req> target,
      Duration timeout,
      Function<ActorRef<StatusReply<Res>>, Req> createRequest,
      BiFunction<Res, Throwable, T> applyToResponse) {
    @SuppressWarnings("unchecked")
    Class<StatusReply<Res>> statusClass = (Class<StatusReply<Res>>) (Class<?>) StatusReply.class;
    ask(ctx, statusClass, target, timeout, createRequest, (reply, failure) -> {
      if (failure != null) return applyToResponse.apply(null, failure);
      if (reply.isError()) return applyToResponse.apply(null, reply.getError());
      return applyToResponse.apply(reply.getValue(), null);
    });
  }

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
