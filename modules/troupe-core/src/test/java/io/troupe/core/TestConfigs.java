package io.troupe.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;

/** Configurations for core tests: an in-memory journal, and a cluster provider for sharding. */
public final class TestConfigs {
  private TestConfigs() {}

  public static Config inMemoryJournal() {
    return PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = cluster\n"
            + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
            + "pekko.remote.artery.canonical.port = 0\n"))
        .withFallback(ConfigFactory.load());
  }

  public static Config manualTimeCluster() {
    return ManualTime.config().withFallback(inMemoryJournal());
  }
}
