package io.troupe.core.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The {@link Lifecycle.Init} half of a subsystem actor whose resources open with blocking I/O (the
 * database's pools and migrations, the vector store's index and embedder). It is not an actor: the
 * actor owns one and calls it from its own message handlers, so it runs on the actor's thread only.
 *
 * <ul>
 *   <li>{@link #onInit}: answers at once when ready, or when the settings were invalid (with that
 *       reason); otherwise it starts the opening, once, off the actor's dispatcher, and pipes its
 *       outcome back to the actor as the actor's own private {@code InitDone} message. An Init that
 *       arrives while an opening runs waits for that same opening.
 *   <li>{@link #succeeded()} / {@link #failed(String)}: the actor calls one of them on its
 *       {@code InitDone}, after adopting (or not) what was opened; every waiting Init is answered.
 *   <li>{@link #unavailable()}: the error for requests while not ready, with the last failure.
 *   <li>{@link #abandon()}: on stop or restart, hands over an opening still running, so the actor can
 *       close what it will open.
 * </ul>
 *
 * @param <T> what the opening produces
 * @param <C> the actor's command type
 */
public final class BlockingInit<T, C> {
  private final ActorContext<C> context;
  private final String subsystem;
  private final String configError;
  private final BiFunction<T, Throwable, C> done;

  private final List<ActorRef<Lifecycle.Initialized>> waiters = new ArrayList<>();
  private CompletableFuture<T> opening; // set while an opening runs
  private boolean ready;
  private String lastError;

  private BlockingInit(ActorContext<C> context, String subsystem, String configError, BiFunction<T, Throwable, C> done) {
    this.context = context;
    this.subsystem = subsystem;
    this.configError = configError;
    this.done = done;
  }

  /**
   * For the actor of {@code subsystem} (the name its {@link Lifecycle.Initialized} carries).
   * {@code configError} is null, or why its settings are invalid: then every Init fails with it.
   * {@code done} wraps the opening's outcome (a value, or a failure) into the actor's message.
   */
  public static <T, C> BlockingInit<T, C> create(
      ActorContext<C> context, String subsystem, String configError, BiFunction<T, Throwable, C> done) {
    return new BlockingInit<>(context, subsystem, configError, done);
  }

  /** Handles an Init; {@code open} runs on {@code blocking}, its checked exceptions fail the Init. */
  public void onInit(Lifecycle.Init init, Callable<T> open, Executor blocking) {
    onInit(init, () -> CompletableFuture.supplyAsync(() -> {
      try {
        return open.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, blocking));
  }

  /**
   * Handles an Init; {@code open} starts the opening (called on the actor's thread, it must only
   * schedule the blocking work on other executors and return at once).
   */
  public void onInit(Lifecycle.Init init, Supplier<CompletableFuture<T>> open) {
    if (ready) {
      init.replyTo().tell(Lifecycle.Initialized.ok(subsystem));
      return;
    }
    if (configError != null) {
      lastError = configError;
      init.replyTo().tell(Lifecycle.Initialized.failed(subsystem, configError));
      return;
    }
    waiters.add(init.replyTo());
    if (opening == null) { // otherwise the running attempt answers this Init too
      opening = open.get();
      context.pipeToSelf(opening, done::apply);
    }
  }

  /** The opening succeeded and the actor adopted its result: ready, and every waiting Init is answered. */
  public void succeeded() {
    opening = null;
    ready = true;
    lastError = null;
    answer(Lifecycle.Initialized.ok(subsystem));
  }

  /** The opening failed with {@code error} (short, without secrets): every waiting Init is answered with it. */
  public void failed(String error) {
    opening = null;
    lastError = error;
    answer(Lifecycle.Initialized.failed(subsystem, error));
  }

  public boolean isReady() {
    return ready;
  }

  /** The reason of the last failed Init, or null. */
  public String lastError() {
    return lastError;
  }

  /** The error for a request that comes while the subsystem is not ready. */
  public String unavailable() {
    return Lifecycle.unavailable(subsystem, lastError);
  }

  /**
   * Not ready any more (the actor stops or restarts and closes what it holds). Returns the opening
   * that still runs, for the actor to close what it opens, or null.
   */
  public CompletableFuture<T> abandon() {
    ready = false;
    CompletableFuture<T> running = opening;
    opening = null;
    return running;
  }

  private void answer(Lifecycle.Initialized reply) {
    waiters.forEach(replyTo -> replyTo.tell(reply));
    waiters.clear();
  }

  /** The cause inside {@link CompletionException}s. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
