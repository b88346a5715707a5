package io.troupe.core.runtime;

import io.troupe.core.db.Database;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * How a node builds its subsystems. Core only knows the protocols; the node module supplies the
 * implementations (and tests supply fakes).
 */
public interface SubsystemFactories {

  Behavior<Database.Command> database();

  Behavior<VectorStore.Command> vectorStore();

  Behavior<LlmGateway.Command> llmGateway();

  Behavior<ToolRegistry.Command> toolRegistry(
      ActorRef<VectorStore.Command> vectorStore, ActorRef<Database.Command> database);

  /** Policies added in Java (an embedding application's), after the configured ones. */
  default java.util.List<io.troupe.core.guardrail.GuardrailPolicy> policies() {
    return java.util.List.of();
  }

  /** The ingress actor, started once the tree exists; null for none. */
  default Behavior<?> http(TroupeRuntime runtime) {
    return null;
  }
}
