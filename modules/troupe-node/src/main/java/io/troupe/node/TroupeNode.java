package io.troupe.node;

import com.typesafe.config.Config;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.runtime.RuntimeSupervisor;
import io.troupe.core.tools.Tool;
import io.troupe.llm.Providers;
import io.troupe.metrics.TroupeMetrics;
import io.troupe.node.cluster.ClusterFormation;
import io.troupe.otel.OtelExport;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A Troupe node: the runtime supervisor as the guardian of a cluster actor system, with the
 * built-in subsystems and the HTTP ingress. {@code java -jar troupe-node.jar run --port 8080}.
 */
public final class TroupeNode {

  /** A started node; {@code http} completes with the bound address (or fails if it could not bind). */
  public record Running(ActorSystem<RuntimeSupervisor.Command> system, CompletionStage<InetSocketAddress> http) {}

  private TroupeNode() {}

  /** Starts a node with {@link NodeConfig#load} overrides, e.g. a port and a data directory. */
  public static Running start(Map<String, ?> overrides) {
    return start(NodeConfig.load(overrides));
  }

  /**
   * What an application that embeds Troupe adds to a node: its tools and policies, and whether the
   * HTTP ingress runs ({@code io.troupe.api.Troupe} builds it).
   */
  public record Embedding(List<Tool> tools, List<GuardrailPolicy> policies, List<AgentSpec> agents, boolean http) {
    public static final Embedding NONE = new Embedding(List.of(), List.of(), List.of(), true);

    public Embedding {
      tools = List.copyOf(tools);
      policies = List.copyOf(policies);
      agents = List.copyOf(agents);
    }
  }

  /**
   * Starts a node with a config that {@link NodeConfig} produced.
   *
   * @throws IllegalArgumentException when an agent is invalid (its output schema, or an unknown model
   *     provider); the message names the agent and the field. Its tools are checked once the tool
   *     registry has started: an unknown one stops the node then.
   */
  public static Running start(Config config) {
    return start(config, Embedding.NONE);
  }

  /** A node with an embedding application's tools and policies. */
  public static Running start(Config config, Embedding embedding) {
    checkAgents(config);
    CompletableFuture<InetSocketAddress> http = new CompletableFuture<>();
    ActorSystem<RuntimeSupervisor.Command> system = ActorSystem.create(
        RuntimeSupervisor.create(new NodeSubsystems(config, http, embedding), config.getConfig("troupe")),
        NodeConfig.SYSTEM_NAME,
        config);
    // The application's agents, before any intent can name one (and before the supervisor checks them).
    embedding.agents().forEach(Agents.get(system)::define);
    TroupeMetrics.get(system); // metrics count from the start, before the ingress binds
    OtelExport.get(system); // OTLP export of intent traces when OTEL_EXPORTER_OTLP_ENDPOINT is set; off otherwise
    // Joins through the seeds, itself or Kubernetes bootstrap; starts management when enabled.
    ClusterFormation.start(system, config);
    return new Running(system, http);
  }

  /** The agents of {@code troupe.agents}: their fields and output schemas, and their providers among the gateway's. */
  static void checkAgents(Config config) {
    Config troupe = config.getConfig("troupe");
    var agents = AgentSpec.allFromConfig(troupe);
    var problems = Agents.providerProblems(agents, Providers.forConfig(troupe.getConfig("llm")).keySet());
    if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
  }

  /** The JDK's common pool: with one core's worth of parallelism it starts a thread per async callback. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) throws Exception {
    // Before anything touches the common pool: CompletionStages from Pekko's Java API complete on it.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
    CommandLine cli;
    try {
      cli = CommandLine.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("troupe: " + e.getMessage());
      System.err.println(CommandLine.USAGE);
      System.exit(2);
      return;
    }
    if (cli.command().equals("help")) {
      System.out.println(CommandLine.USAGE);
      return;
    }
    Config config;
    try {
      config = NodeConfig.load(cli.overrides());
      checkAgents(config);
    } catch (RuntimeException e) {
      System.err.println("troupe: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path dataDir = Path.of(config.getString("troupe.data-dir")).toAbsolutePath().normalize();
    Files.createDirectories(dataDir);

    Running node = start(config);
    InetSocketAddress address;
    try {
      // The main thread, not a dispatcher: it has nothing else to do until the port is bound.
      // Or the system stops first: a start that failed (an agent naming a tool the node does not have).
      CompletableFuture.anyOf(node.http().toCompletableFuture(), node.system().getWhenTerminated().toCompletableFuture())
          .get(120, TimeUnit.SECONDS); // blocking-ok: main thread
      if (!node.http().toCompletableFuture().isDone()) {
        System.err.println("troupe: the node stopped while starting; see the log above");
        System.exit(1);
        return;
      }
      address = node.http().toCompletableFuture().get(1, TimeUnit.SECONDS); // blocking-ok: main thread, done
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("troupe: could not start the HTTP ingress: " + cause.getMessage());
      node.system().terminate();
      node.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS); // blocking-ok: main thread
      System.exit(1);
      return;
    }
    String host = address.getAddress() != null && address.getAddress().isAnyLocalAddress()
        ? "127.0.0.1" : address.getHostString();
    String scheme = config.getBoolean("troupe.http.tls.enabled") ? "https" : "http";
    String url = scheme + "://" + host + ":" + address.getPort();
    System.out.println();
    System.out.println("Troupe is listening on " + url + "  (data: " + dataDir + ")");
    System.out.println("Readiness: curl -s " + url + "/health/ready");
    System.out.println("Try:       curl -s -X POST '" + url + "/v1/intents?wait=true' -H 'Content-Type: application/json' \\");
    System.out.println("             -d '{\"text\":\"What is 17% of 2,340 and what time is it in UTC?\"}'");
    System.out.println();
  }
}
