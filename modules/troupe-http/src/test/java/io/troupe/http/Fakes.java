package io.troupe.http;

import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.runtime.Readiness;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/** Stand-ins for the supervisor and the subsystems that the routes ask. */
final class Fakes {
  private Fakes() {}

  static Readiness readiness(boolean databaseReady) {
    return new Readiness(databaseReady, Map.of(
        "llm-gateway", new Readiness.SubsystemState("ready", 3L, null, 1),
        "database", databaseReady
            ? new Readiness.SubsystemState("ready", 12L, null, 1)
            : new Readiness.SubsystemState("down", null, "init failed: connection refused", 2)));
  }

  static Behavior<RuntimeSupervisor.Command> supervisor(Readiness readiness) {
    return Behaviors.receive(RuntimeSupervisor.Command.class)
        .onMessage(RuntimeSupervisor.GetReadiness.class, m -> {
          m.replyTo().tell(readiness);
          return Behaviors.same();
        })
        .build();
  }

  /** An LLM gateway that answers its status, and nothing else. */
  static Behavior<LlmGateway.Command> llm(LlmGateway.Status status) {
    return Behaviors.receiveMessage(msg -> {
      if (msg instanceof LlmGateway.GetStatus get) get.replyTo().tell(status);
      return Behaviors.same();
    });
  }

  static Behavior<ToolRegistry.Command> tools() {
    return Behaviors.receive(ToolRegistry.Command.class)
        .onMessage(ToolRegistry.ListTools.class, m -> {
          var schema = Json.parse("{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},\"required\":[\"expression\"]}");
          m.replyTo().tell(new ToolRegistry.ToolList(List.of(new ToolSpec("calculator", "Evaluates arithmetic", schema))));
          return Behaviors.same();
        })
        .onMessage(io.troupe.core.tools.ToolCatalog.Describe.class, m -> {
          var schema = Json.parse("{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},\"required\":[\"expression\"]}");
          m.replyTo().tell(new io.troupe.core.tools.ToolCatalog.Catalog(
              List.of(new ToolSpec("calculator", "Evaluates arithmetic", schema),
                  new ToolSpec("files_write", "Writes a file", Json.parse("{\"type\":\"object\"}"))),
              List.of(new io.troupe.core.tools.ToolCatalog.ToolInfo("calculator", io.troupe.core.tools.Tool.Effect.READ_ONLY, false, 30000, 16, "builtin"),
                  new io.troupe.core.tools.ToolCatalog.ToolInfo("files_write", io.troupe.core.tools.Tool.Effect.SIDE_EFFECTING, true, 5000, 2, "mcp:files"))));
          return Behaviors.same();
        })
        .build();
  }

  static Behavior<VectorStore.Command> vectorStore() {
    return Behaviors.receive(VectorStore.Command.class)
        .onMessage(VectorStore.Upsert.class, m -> {
          m.replyTo().tell(StatusReply.success(new VectorStore.Upserted(
              m.documents().stream().map(VectorStore.Document::id).toList())));
          return Behaviors.same();
        })
        .onMessage(VectorStore.Search.class, m -> {
          m.replyTo().tell(StatusReply.success(new VectorStore.SearchResult(List.of(
              new VectorStore.Hit("d1", 0.9, "about " + m.query(), m.filter())))));
          return Behaviors.same();
        })
        .onMessage(VectorStore.Delete.class, m -> {
          m.replyTo().tell(StatusReply.success(new VectorStore.Deleted(m.id(), m.id().equals("known"))));
          return Behaviors.same();
        })
        .build();
  }

  /** A session that never answers, for ask timeouts. */
  static Behavior<SessionEntity.Command> silentSession() {
    return Behaviors.ignore();
  }

  /**
   * The routes' backends with a real guardrail in front of {@code vectorStore}: document writes go
   * through it, as in a node.
   */
  static Backends backends(org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit testKit,
      java.util.function.Function<String, org.apache.pekko.actor.typed.RecipientRef<io.troupe.core.session.SessionEntity.Command>> sessions,
      org.apache.pekko.actor.typed.RecipientRef<RuntimeSupervisor.Command> supervisor,
      org.apache.pekko.actor.typed.RecipientRef<ToolRegistry.Command> tools,
      org.apache.pekko.actor.typed.ActorRef<VectorStore.Command> vectorStore,
      org.apache.pekko.actor.typed.RecipientRef<LlmGateway.Command> llm) {
    var policy = io.troupe.core.guardrail.GuardrailSettings.fromConfig(
        com.typesafe.config.ConfigFactory.load().getConfig("troupe"));
    var guardrail = testKit.spawn(io.troupe.core.guardrail.Guardrail.create(policy,
        new io.troupe.core.guardrail.Guardrail.Targets(null, null, vectorStore)));
    return new Backends(sessions, supervisor, tools, vectorStore, llm, guardrail);
  }
}
