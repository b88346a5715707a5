package io.troupe.core.runtime;

import io.troupe.core.db.Database;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The start-up protocol every subsystem shares. The supervisor sends {@link Init}; the subsystem
 * prepares itself without blocking and answers with {@link Initialized}. Until then, and after a
 * failed init, it answers every request at once with an "unavailable" error.
 */
public final class Lifecycle {
  private Lifecycle() {}

  public record Init(ActorRef<Initialized> replyTo)
      implements LlmGateway.Command, ToolRegistry.Command, VectorStore.Command, Database.Command {}

  /** {@code error} is null on success; otherwise a short reason without secrets. */
  public record Initialized(String subsystem, String error) {
    public static Initialized ok(String subsystem) {
      return new Initialized(subsystem, null);
    }

    public static Initialized failed(String subsystem, String error) {
      return new Initialized(subsystem, error);
    }

    public boolean isOk() {
      return error == null;
    }
  }

  /**
   * Asks an initialized subsystem whether what it depends on outside the process (the database
   * server) still answers. It answers within {@code within}: a check it could not finish by then
   * counts as failed. The supervisor sends it every {@code troupe.supervisor.health-check.interval}
   * to the subsystems that implement it, and reports a subsystem whose check fails as down until a
   * check passes again, without re-initializing it.
   */
  public record CheckHealth(Duration within, ActorRef<Health> replyTo) implements Database.Command {}

  /** {@code error} is null when healthy; otherwise a short reason without secrets. */
  public record Health(String error) {
    public static Health ok() {
      return new Health(null);
    }

    public boolean isOk() {
      return error == null;
    }
  }

  /** The reply a subsystem gives to requests while it is not initialized. */
  public static String unavailable(String subsystem, String lastError) {
    return "unavailable: the " + subsystem + " subsystem is not ready"
        + (lastError == null ? "" : " (" + lastError + ")");
  }
}
