package io.troupe.core.runtime;

import io.troupe.core.db.Database;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import org.apache.pekko.actor.typed.ActorRef;

/** The node-local actors a session's agent loop talks to. */
public record Subsystems(
    ActorRef<LlmGateway.Command> llm,
    ActorRef<ToolRegistry.Command> tools,
    ActorRef<VectorStore.Command> vectorStore,
    ActorRef<Database.Command> database,
    ActorRef<Guardrail.Command> guardrail) {

  public static final String LLM = "llm-gateway";
  public static final String TOOLS = "tool-registry";
  public static final String VECTOR_STORE = "vector-store";
  public static final String DATABASE = "database";
}
