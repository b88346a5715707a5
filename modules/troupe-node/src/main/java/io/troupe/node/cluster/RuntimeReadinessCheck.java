package io.troupe.node.cluster;

import io.troupe.core.actor.Asks;
import io.troupe.core.runtime.Readiness;
import io.troupe.core.runtime.RuntimeSupervisor;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Pekko Management readiness check ({@code /ready}): ready when the runtime supervisor reports every
 * subsystem ready. Registered under pekko.management.health-checks.readiness-checks; Pekko
 * constructs it with the classic actor system and times the check out after check-timeout.
 */
public final class RuntimeReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  private final org.apache.pekko.actor.typed.ActorSystem<Void> system;
  private final Duration askTimeout;

  public RuntimeReadinessCheck(org.apache.pekko.actor.ActorSystem classicSystem) {
    this.system = Adapter.toTyped(classicSystem);
    this.askTimeout = system.settings().config().getDuration("pekko.management.health-checks.check-timeout");
  }

  @Override
  public CompletionStage<Boolean> get() {
    return Asks.<RuntimeSupervisor.Command, Readiness>ask(
            supervisor(), RuntimeSupervisor.GetReadiness::new, askTimeout, system.scheduler())
        .thenApply(Readiness::ready);
  }

  /** A Troupe node's guardian is the runtime supervisor (TroupeNode.start). */
  @SuppressWarnings("unchecked")
  private ActorRef<RuntimeSupervisor.Command> supervisor() {
    return (ActorRef<RuntimeSupervisor.Command>) (ActorRef<?>) system;
  }
}
