package io.troupe.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.db.DatabaseSettings;
import io.troupe.node.cluster.ClusterFormation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's configuration: {@code application.conf} (which maps the environment variables),
 * command-line overrides on top, then what is derived in code: the cluster's seed nodes and the
 * journal's database, which is the database subsystem's own, and the journal's schema in it, and the
 * cluster's bootstrap and management settings ({@link ClusterFormation}).
 */
public final class NodeConfig {
  /** The actor system's name; seed node addresses carry it. */
  public static final String SYSTEM_NAME = "troupe";

  private NodeConfig() {}

  /**
   * @param overrides config paths to values, e.g. {@code troupe.http.port -> 18080}; they beat
   *     environment variables and system properties
   */
  public static Config load(Map<String, ?> overrides) {
    ClassLoader loader = NodeConfig.class.getClassLoader();
    ConfigFactory.invalidateCaches();
    Config base = ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load(loader)).resolve();
    return derive(base);
  }

  /** Adds the cluster's seed nodes or bootstrap, management, and the journal's shared database and schema to a resolved config. */
  public static Config derive(Config config) {
    Map<String, Object> derived = new HashMap<>();
    // Seed nodes or Kubernetes bootstrap, and the management server.
    derived.putAll(ClusterFormation.derivedSettings(config, seedNodes(config.getString("troupe.cluster.seeds"))));
    DatabaseSettings db = DatabaseSettings.fromConfig(config.getConfig("troupe"));
    String slick = "pekko-persistence-jdbc.shared-databases.slick.";
    derived.put(slick + "profile", db.vendor().slickProfile());
    derived.put(slick + "db.url", db.url());
    derived.put(slick + "db.user", db.user());
    derived.put(slick + "db.password", db.password());
    derived.put(slick + "db.driver", db.driver());
    // The journal's own schema, in the case the database stores it (persistence.conf names it too).
    derived.putAll(db.journalPluginSchemaSettings());
    return ConfigFactory.parseMap(derived).withFallback(config).resolve();
  }

  /** {@code host:port,host:port} (or full {@code pekko://troupe@host:port} addresses) as seed node addresses. */
  static List<String> seedNodes(String seeds) {
    List<String> out = new ArrayList<>();
    for (String raw : seeds.split(",")) {
      String s = raw.trim();
      if (s.isEmpty()) {
        continue;
      }
      if (s.startsWith("pekko://")) {
        out.add(s);
        continue;
      }
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1 || !s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        throw new ConfigException.BadValue("troupe.cluster.seeds",
            "'" + s + "' is not host:port (TROUPE_CLUSTER_SEEDS is a comma-separated list of host:port)");
      }
      out.add("pekko://" + SYSTEM_NAME + "@" + s);
    }
    return out;
  }
}
