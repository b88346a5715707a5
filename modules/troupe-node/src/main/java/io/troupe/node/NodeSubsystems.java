package io.troupe.node;

import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.SubsystemFactories;
import io.troupe.core.runtime.TroupeRuntime;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import io.troupe.db.DatabaseActor;
import io.troupe.db.DatabaseSettings;
import io.troupe.http.HttpIngress;
import io.troupe.llm.LlmGatewayActor;
import io.troupe.tools.ToolRegistryActor;
import io.troupe.vector.VectorStoreActor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/** The standalone node's subsystems: the built-in implementations of every protocol. */
final class NodeSubsystems implements SubsystemFactories {
  private final Config troupe;
  private final CompletableFuture<InetSocketAddress> httpBound;

  NodeSubsystems(Config config, CompletableFuture<InetSocketAddress> httpBound) {
    this.troupe = config.getConfig("troupe");
    this.httpBound = httpBound;
  }

  @Override
  public Behavior<Database.Command> database() {
    // The same settings the journal was configured with (NodeConfig), so both use one database.
    return DatabaseActor.create(DatabaseSettings.fromConfig(troupe));
  }

  @Override
  public Behavior<VectorStore.Command> vectorStore() {
    return VectorStoreActor.create(troupe, dataDir());
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
    return ToolRegistryActor.create(troupe, vectorStore, database);
  }

  @Override
  public Behavior<?> http(TroupeRuntime runtime) {
    return HttpIngress.create(runtime, httpBound);
  }
}
