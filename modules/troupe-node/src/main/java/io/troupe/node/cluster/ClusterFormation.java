package io.troupe.node.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * How a node finds its cluster ({@code troupe.cluster.bootstrap}) and whether it serves Pekko
 * Management ({@code troupe.management}).
 * <ul>
 *   <li>{@code seeds}: join {@code troupe.cluster.seeds}; with none, the node forms a cluster of one.</li>
 *   <li>{@code kubernetes}: Cluster Bootstrap finds the other pods through the Kubernetes API and
 *       management serves the contact point. No seeds, no self-join.</li>
 * </ul>
 */
public final class ClusterFormation {

  public enum Bootstrap { SEEDS, KUBERNETES }

  private ClusterFormation() {}

  public static Bootstrap bootstrap(Config config) {
    String value = config.getString("troupe.cluster.bootstrap").trim().toLowerCase(Locale.ROOT);
    return switch (value) {
      case "seeds", "" -> Bootstrap.SEEDS;
      case "kubernetes" -> Bootstrap.KUBERNETES;
      default -> throw new ConfigException.BadValue("troupe.cluster.bootstrap",
          "'" + value + "' is neither seeds nor kubernetes (TROUPE_CLUSTER_BOOTSTRAP)");
    };
  }

  /**
   * The pekko keys that follow from troupe.cluster and troupe.management, for {@code NodeConfig.derive}.
   *
   * @param seedNodes the seed node addresses of troupe.cluster.seeds
   */
  public static Map<String, Object> derivedSettings(Config config, List<String> seedNodes) {
    Map<String, Object> derived = new HashMap<>();
    Bootstrap bootstrap = bootstrap(config);
    if (bootstrap == Bootstrap.KUBERNETES) {
      if (!seedNodes.isEmpty()) {
        throw new ConfigException.BadValue("troupe.cluster.seeds",
            "seeds and kubernetes bootstrap exclude each other: unset TROUPE_CLUSTER_SEEDS or TROUPE_CLUSTER_BOOTSTRAP");
      }
      Config k8s = config.getConfig("troupe.cluster.kubernetes");
      String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      derived.put("pekko.cluster.seed-nodes", List.of());
      derived.put("troupe.management.enabled", true);
      derived.put(discovery + "discovery-method", "kubernetes-api");
      derived.put(discovery + "service-name", k8s.getString("service-name"));
      derived.put(discovery + "required-contact-point-nr", k8s.getInt("required-contact-points"));
      derived.put("pekko.discovery.kubernetes-api.pod-label-selector", k8s.getString("pod-label-selector"));
    } else if (!seedNodes.isEmpty()) {
      derived.put("pekko.cluster.seed-nodes", seedNodes);
    }
    String host = config.getString("troupe.management.host").trim();
    derived.put("pekko.management.http.hostname",
        host.isEmpty() ? config.getString("pekko.remote.artery.canonical.hostname") : host);
    derived.put("pekko.management.http.port", config.getInt("troupe.management.port"));
    return derived;
  }

  /** Starts management when enabled, then joins: through bootstrap, the seeds, or itself. Never blocks. */
  public static void start(ActorSystem<?> system, Config config) {
    Bootstrap bootstrap = bootstrap(config);
    if (config.getBoolean("troupe.management.enabled")) {
      PekkoManagement.get(Adapter.toClassic(system)).start().whenComplete((uri, failure) -> {
        if (failure != null) {
          system.log().error("Pekko Management could not start on {}:{}: {}",
              config.getString("pekko.management.http.hostname"), config.getInt("pekko.management.http.port"),
              failure.getMessage());
        } else {
          system.log().info("Pekko Management on {} (/alive, /ready, /cluster/members)", uri);
        }
      });
    }
    switch (bootstrap) {
      case KUBERNETES -> ClusterBootstrap.get(Adapter.toClassic(system)).start();
      case SEEDS -> {
        if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
          // No seeds: this node is a cluster of its own.
          Cluster cluster = Cluster.get(system);
          cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
      }
    }
  }
}
