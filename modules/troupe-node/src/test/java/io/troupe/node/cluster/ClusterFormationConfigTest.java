package io.troupe.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.node.NodeConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The config that seeds and Kubernetes bootstrap derive; no cluster and no Kubernetes needed. */
class ClusterFormationConfigTest {
  private static final String DISCOVERY = "pekko.management.cluster.bootstrap.contact-point-discovery.";

  private static Config load(Map<String, Object> overrides) {
    Map<String, Object> all = new HashMap<>(Map.of(
        "troupe.data-dir", "/tmp/troupe-formation-test", "troupe.cluster.seeds", "", "troupe.cluster.bootstrap", "seeds"));
    all.putAll(overrides);
    return NodeConfig.load(all);
  }

  @Test
  void byDefaultManagementIsOffAndTheNodeUsesSeeds() {
    Config c = load(Map.of());
    assertEquals(ClusterFormation.Bootstrap.SEEDS, ClusterFormation.bootstrap(c));
    assertFalse(c.getBoolean("troupe.management.enabled"));
    assertEquals(8558, c.getInt("pekko.management.http.port"));
    assertEquals(c.getString("pekko.remote.artery.canonical.hostname"), c.getString("pekko.management.http.hostname"));
    assertEquals(List.of("pekko://troupe@10.0.0.1:25520"),
        load(Map.of("troupe.cluster.seeds", "10.0.0.1:25520")).getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void kubernetesBootstrapHasNoSeedsAndDiscoversThroughTheKubernetesApi() {
    Config c = load(Map.of(
        "troupe.cluster.bootstrap", "kubernetes",
        "troupe.cluster.kubernetes.pod-label-selector", "app.kubernetes.io/name=troupe",
        "troupe.cluster.kubernetes.required-contact-points", 3,
        "troupe.management.host", "10.1.2.3"));
    assertEquals(ClusterFormation.Bootstrap.KUBERNETES, ClusterFormation.bootstrap(c));
    assertTrue(c.getStringList("pekko.cluster.seed-nodes").isEmpty());
    assertTrue(c.getBoolean("troupe.management.enabled"), "bootstrap needs the management server");
    assertEquals("kubernetes-api", c.getString(DISCOVERY + "discovery-method"));
    assertEquals("troupe", c.getString(DISCOVERY + "service-name"));
    assertEquals(3, c.getInt(DISCOVERY + "required-contact-point-nr"));
    assertEquals("app.kubernetes.io/name=troupe", c.getString("pekko.discovery.kubernetes-api.pod-label-selector"));
    assertEquals("10.1.2.3", c.getString("pekko.management.http.hostname"));
  }

  @Test
  void theRuntimeReadinessCheckIsRegistered() {
    Config c = load(Map.of());
    assertEquals(RuntimeReadinessCheck.class.getName(),
        c.getString("pekko.management.health-checks.readiness-checks.troupe-runtime"));
    assertEquals("org.apache.pekko.management.cluster.scaladsl.ClusterMembershipCheck",
        c.getString("pekko.management.health-checks.readiness-checks.cluster-membership"));
  }

  @Test
  void seedsAndKubernetesBootstrapExcludeEachOther() {
    assertThrows(ConfigException.BadValue.class, () -> load(Map.of(
        "troupe.cluster.bootstrap", "kubernetes", "troupe.cluster.seeds", "10.0.0.1:25520")));
    assertThrows(ConfigException.BadValue.class, () -> load(Map.of("troupe.cluster.bootstrap", "dns")));
  }
}
