package io.troupe.core.runtime;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/** What the ingress needs from a running node: the supervisor (readiness) and the subsystems. */
public record TroupeRuntime(
    ActorSystem<?> system, ActorRef<RuntimeSupervisor.Command> supervisor, Subsystems subsystems) {}
