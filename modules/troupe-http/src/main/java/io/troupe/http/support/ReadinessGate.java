package io.troupe.http.support;

import io.troupe.core.actor.Asks;
import io.troupe.core.runtime.Readiness;
import io.troupe.core.runtime.RuntimeSupervisor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * Asks the supervisor for readiness, and remembers a positive answer for a short while so that
 * a busy ingress does not ask on every request. A negative answer is never cached: the next
 * request asks again, so a subsystem that just became ready is usable at once.
 */
public final class ReadinessGate {
  private static final long FRESH_NANOS = Duration.ofSeconds(1).toNanos();

  private record Snapshot(Readiness readiness, long atNanos) {}

  private final RecipientRef<RuntimeSupervisor.Command> supervisor;
  private final Duration askTimeout;
  private final Scheduler scheduler;
  private final int retryAfterSeconds;
  private final AtomicReference<Snapshot> last = new AtomicReference<>();

  public ReadinessGate(
      RecipientRef<RuntimeSupervisor.Command> supervisor, Duration askTimeout, Scheduler scheduler, int retryAfterSeconds) {
    this.supervisor = supervisor;
    this.askTimeout = askTimeout;
    this.scheduler = scheduler;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Asks the supervisor now. */
  public CompletionStage<Readiness> current() {
    return Asks.<RuntimeSupervisor.Command, Readiness>ask(
            supervisor, RuntimeSupervisor.GetReadiness::new, askTimeout, scheduler)
        .thenApply(r -> {
          last.set(new Snapshot(r, System.nanoTime()));
          return r;
        });
  }

  /** Completes when {@code subsystem} is ready; fails with 503 unavailable and Retry-After otherwise. */
  public CompletionStage<Void> require(String subsystem, String needFor) {
    Snapshot s = last.get();
    if (s != null && System.nanoTime() - s.atNanos() < FRESH_NANOS && s.readiness().isReady(subsystem)) {
      return CompletableFuture.completedFuture(null);
    }
    return current()
        .exceptionally(t -> null)
        .thenApply(r -> {
          if (r == null) {
            throw ApiError.unavailable("the runtime did not report its readiness in time; retry shortly", retryAfterSeconds);
          }
          if (!r.isReady(subsystem)) {
            Readiness.SubsystemState state = r.subsystems().get(subsystem);
            String status = state == null ? "unknown" : state.status();
            String why = state == null || state.error() == null ? "" : " (" + state.error() + ")";
            throw ApiError.unavailable(
                "the " + subsystem + " subsystem is " + status + why + "; " + needFor + " needs it. Retry shortly",
                retryAfterSeconds);
          }
          return null;
        });
  }
}
