package io.troupe.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.db.Database;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.SubsystemFactories;
import io.troupe.core.runtime.TroupeRuntime;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import io.troupe.db.DatabaseActor;
import io.troupe.db.DatabaseSettings;
import io.troupe.db.ledger.EffectLedgerTool;
import io.troupe.http.HttpIngress;
import io.troupe.llm.LlmGatewayActor;
import io.troupe.llm.embeddings.OpenAiEmbeddings;
import io.troupe.tools.ToolRegistryActor;
import io.troupe.vector.AsyncEmbedder;
import io.troupe.vector.EmbedderFactory;
import io.troupe.vector.VectorStoreActor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/** The standalone node's subsystems: the built-in implementations of every protocol. */
final class NodeSubsystems implements SubsystemFactories {
  private final Config troupe;
  private final CompletableFuture<InetSocketAddress> httpBound;
  private final TroupeNode.Embedding embedding;

  NodeSubsystems(Config config, CompletableFuture<InetSocketAddress> httpBound) {
    this(config, httpBound, TroupeNode.Embedding.NONE);
  }

  NodeSubsystems(Config config, CompletableFuture<InetSocketAddress> httpBound, TroupeNode.Embedding embedding) {
    this.troupe = config.getConfig("troupe");
    this.httpBound = httpBound;
    this.embedding = embedding;
  }

  @Override
  public List<GuardrailPolicy> policies() {
    return embedding.policies();
  }

  @Override
  public Behavior<Database.Command> database() {
    // The same settings the journal was configured with (NodeConfig), so both use one database.
    return DatabaseActor.create(DatabaseSettings.fromConfig(troupe));
  }

  /**
   * With {@code troupe.vector-store.replication.mode = journal} (the node's default, config/troupe.conf)
   * the store starts the sharded document log on this node and its index follows the log through
   * {@code jdbc-read-journal}, so every node of the cluster sees the same documents.
   */
  @Override
  public Behavior<VectorStore.Command> vectorStore() {
    return VectorStoreActor.create(troupe, dataDir(), openAiEmbeddings());
  }

  /**
   * {@code troupe.vector-store.embedder = "openai"}: the OpenAI-compatible endpoint of
   * {@code troupe.llm.openai} (base-url, api-key, embeddings-model), asked for vectors of
   * {@code troupe.vector-store.dimension}. Made at the store's Init, never before it is chosen.
   */
  private EmbedderFactory openAiEmbeddings() {
    return (system, executor) -> {
      Config vector = troupe.getConfig("vector-store");
      int dimension = vector.getInt("dimension");
      Config section = troupe.getConfig("llm.openai")
          .withValue("embeddings-dimensions", ConfigValueFactory.fromAnyRef(dimension));
      OpenAiEmbeddings client = OpenAiEmbeddings.create(system, "troupe.llm.openai", section);
      return AsyncEmbedder.remote("openai-" + client.model() + "-" + dimension, dimension,
          vector.getInt("embed-batch-size"), client::embed);
    };
  }

  private Path dataDir() {
    return Path.of(troupe.getString("data-dir"));
  }

  @Override
  public Behavior<LlmGateway.Command> llmGateway() {
    return LlmGatewayActor.create(troupe);
  }

  @Override
  public Behavior<ToolRegistry.Command> toolRegistry(
      ActorRef<VectorStore.Command> vectorStore, ActorRef<Database.Command> database) {
    List<Tool> extra = new java.util.ArrayList<>();
    if (troupe.getBoolean("tools.effect-ledger.enabled")) extra.add(new EffectLedgerTool(DatabaseSettings.fromConfig(troupe)));
    extra.addAll(embedding.tools());
    return ToolRegistryActor.create(troupe, vectorStore, database, extra);
  }

  @Override
  public Behavior<?> http(TroupeRuntime runtime) {
    if (!embedding.http()) {
      httpBound.completeExceptionally(new IllegalStateException("the HTTP ingress is off"));
      return null;
    }
    return HttpIngress.create(runtime, httpBound);
  }
}
