package io.troupe.testkit.nodes;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;

/**
 * Several Troupe nodes in one JVM: each its own actor system, with its own virtual clock
 * (ManualTime), guardrail, model link and tool registry, and all on one journal ({@link
 * SharedJournal}), as nodes on one database. The {@link io.troupe.testkit.model.ScriptedModel} and
 * the {@link io.troupe.testkit.tools.FakeTool}s are the world outside, shared by every node: a side
 * effect counts once wherever it ran.
 *
 * <p>{@link #kill} terminates a node's actor system, with whatever its sessions were doing. The
 * test plays Cluster Sharding: it starts a session on one node at a time ({@code
 * node(1).session(id)} after {@code kill(0)}), and the session recovers from the shared journal.
 *
 * <pre>{@code
 * try (TestNodes nodes = TestNodes.start(2, model, tools, ConfigFactory.empty())) {
 *   var onA = nodes.node(0).session("s1");
 *   ...
 *   nodes.kill(0);
 *   var onB = nodes.node(1).session("s1");
 * }
 * }</pre>
 */
public final class TestNodes implements AutoCloseable {

  private static final AtomicInteger STORES = new AtomicInteger();

  private final String storeName;
  private final Config overrides;
  private final Function<ActorTestKit, TestAgent> startNode;
  private final List<TestAgent> agents = new ArrayList<>();
  private final List<Boolean> alive = new ArrayList<>();
  private int started;

  private TestNodes(String storeName, Config overrides, Function<ActorTestKit, TestAgent> startNode) {
    this.storeName = storeName;
    this.overrides = overrides;
    this.startNode = startNode;
  }

  /** {@code count} nodes on a fresh shared journal, each configured with {@code overrides} over {@link #config}. */
  public static TestNodes start(int count, ScriptedModel model, FakeToolRegistry tools, Config overrides) {
    return start(count, overrides, kit -> TestAgent.start(kit, model, tools));
  }

  /**
   * {@code count} nodes, each set up by {@code startNode} in its own kit (e.g. {@code kit ->
   * TestAgent.start(kit, kit.spawn(Faults.duplicating(kit.spawn(model.behavior()))), kit.spawn(tools.behavior()))}).
   */
  public static TestNodes start(int count, Config overrides, Function<ActorTestKit, TestAgent> startNode) {
    if (count < 1) throw new IllegalArgumentException("at least one node");
    TestNodes nodes = new TestNodes("troupe-testkit-nodes-" + STORES.incrementAndGet(), overrides, startNode);
    for (int i = 0; i < count; i++) {
      nodes.agents.add(nodes.newNode());
      nodes.alive.add(true);
    }
    return nodes;
  }

  private TestAgent newNode() {
    String name = "node-" + (char) ('a' + started % 26) + (started >= 26 ? String.valueOf(started / 26) : "");
    started++;
    return startNode.apply(ActorTestKit.create(name, config(storeName, overrides)));
  }

  /** ManualTime and the shared journal and snapshot store named {@code store}, then the runtime's defaults. */
  public static Config config(String store, Config overrides) {
    Config shared = ConfigFactory.parseString(
        "pekko.persistence.journal.plugin = \"troupe-testkit.shared-journal\"\n"
            + "pekko.persistence.snapshot-store.plugin = \"troupe-testkit.shared-snapshot-store\"\n"
            + "troupe-testkit.shared-journal { class = \"" + SharedJournal.class.getName() + "\"\n"
            + "  plugin-dispatcher = \"pekko.actor.default-dispatcher\"\n  store = \"" + store + "\" }\n"
            + "troupe-testkit.shared-snapshot-store { class = \"" + SharedSnapshotStore.class.getName() + "\"\n"
            + "  plugin-dispatcher = \"pekko.actor.default-dispatcher\"\n  store = \"" + store + "\" }\n");
    return overrides.withFallback(ManualTime.config()).withFallback(shared).withFallback(ConfigFactory.load());
  }

  /** Node {@code i} (0 is "node-a"). */
  public TestAgent node(int i) {
    if (!alive.get(i)) throw new IllegalStateException("node " + i + " was killed");
    return agents.get(i);
  }

  public boolean isAlive(int i) {
    return alive.get(i);
  }

  public int size() {
    return agents.size();
  }

  /** The journal every node writes: read it to check what was persisted. */
  public SharedStore journal() {
    return SharedStore.named(storeName);
  }

  /** Terminates node {@code i}'s actor system now, as a crashed node stops: nothing of it runs on. */
  public void kill(int i) {
    if (!alive.get(i)) return;
    alive.set(i, false);
    agents.get(i).kit().shutdownTestKit();
  }

  /** Kills node {@code i} if it lives, and starts a new node in its place: a fresh actor system on the same journal. */
  public TestAgent restart(int i) {
    kill(i);
    agents.set(i, newNode());
    alive.set(i, true);
    return agents.get(i);
  }

  /** Advances the virtual clock of every live node by {@code d}. */
  public void timePasses(Duration d) {
    for (int i = 0; i < agents.size(); i++) {
      if (alive.get(i)) agents.get(i).time().timePasses(d);
    }
  }

  public ManualTime time(int i) {
    return node(i).time();
  }

  @Override
  public void close() {
    for (int i = 0; i < agents.size(); i++) kill(i);
    SharedStore.drop(storeName);
  }
}
