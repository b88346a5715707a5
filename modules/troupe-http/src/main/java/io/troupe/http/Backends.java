package io.troupe.http;

import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.runtime.TroupeRuntime;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import io.troupe.http.intents.InboxFallback;
import java.util.function.Function;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * What the routes talk to. Production uses the sharded session entities and the node's
 * subsystems; tests pass fakes.
 *
 * @param sessions the session entity of a session id
 * @param llm the LLM gateway, whose providers' circuit breakers readiness shows; may be null
 * @param guardrail where document writes go: it checks them and forwards them to the vector store
 * @param inbox where a submission goes while its session cannot answer because a member is unreachable
 */
public record Backends(
    Function<String, RecipientRef<SessionEntity.Command>> sessions,
    RecipientRef<RuntimeSupervisor.Command> supervisor,
    RecipientRef<ToolRegistry.Command> tools,
    RecipientRef<VectorStore.Command> vectorStore,
    RecipientRef<LlmGateway.Command> llm,
    RecipientRef<Guardrail.Command> guardrail,
    InboxFallback inbox) {

  /** Without the intent inbox: submissions always wait for their session. */
  public Backends(Function<String, RecipientRef<SessionEntity.Command>> sessions,
      RecipientRef<RuntimeSupervisor.Command> supervisor, RecipientRef<ToolRegistry.Command> tools,
      RecipientRef<VectorStore.Command> vectorStore, RecipientRef<LlmGateway.Command> llm,
      RecipientRef<Guardrail.Command> guardrail) {
    this(sessions, supervisor, tools, vectorStore, llm, guardrail, InboxFallback.NONE);
  }

  public static Backends of(TroupeRuntime runtime) {
    ClusterSharding sharding = ClusterSharding.get(runtime.system());
    Function<String, RecipientRef<SessionEntity.Command>> sessions =
        sessionId -> sharding.entityRefFor(SessionEntity.TYPE_KEY, sessionId);
    return new Backends(
        sessions,
        runtime.supervisor(),
        runtime.subsystems().tools(),
        runtime.subsystems().vectorStore(),
        runtime.subsystems().llm(),
        runtime.subsystems().guardrail(),
        InboxFallback.of(runtime.system(), sessions));
  }
}
