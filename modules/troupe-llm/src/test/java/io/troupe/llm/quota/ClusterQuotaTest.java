package io.troupe.llm.quota;

import io.troupe.core.quota.GlobalQuota;
import io.troupe.core.quota.LocalLeases;
import io.troupe.core.quota.QuotaCoordinator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.Usage;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.llm.LlmGatewayActor;
import io.troupe.llm.ProviderFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three cluster nodes in one JVM, each with its own gateway and the same limit of 30 requests per
 * minute; together they fire 120 calls at once. The provider must see at most 30 of them.
 *
 * <p>The gateways' clock (which the coordinator's buckets refill by) is frozen, so the buckets do
 * not refill while the test runs and the bound is exact: 30, not 30 plus a second's refill. The
 * refill arithmetic itself is {@link QuotaLeaseTest}'s business. Everything else (remoting, the
 * singleton, the asks, the timers) runs in real time.
 */
class ClusterQuotaTest {

  private static final String CLUSTER = """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.actor.testkit.typed.system-shutdown-default = 20s
      pekko.cluster.singleton-proxy.singleton-identification-interval = 200ms
      """;

  private static final int LIMIT = 30;
  private static final int CALLS_PER_NODE = 40;

  private final List<ActorTestKit> nodes = new ArrayList<>();

  @AfterEach
  void shutDown() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).shutdownTestKit();
    }
  }

  /** A provider that answers at once and counts what reached it. */
  private record CountingProvider(AtomicInteger seen) implements LlmProvider {
    @Override
    public String name() {
      return "counted";
    }

    @Override
    public CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
      seen.incrementAndGet();
      return CompletableFuture.completedFuture(new ChatResponse(ChatMessage.assistant("ok"), new Usage(10, 5),
          FinishReason.STOP, "counted-model", "counted"));
    }
  }

  @Test
  void threeNodesTogetherStayUnderOneLimit() {
    Config config = ConfigFactory.parseString(CLUSTER).withFallback(ConfigFactory.load());
    for (int i = 0; i < 3; i++) {
      nodes.add(ActorTestKit.create("QuotaCluster", config));
    }
    formCluster();
    AtomicLong frozenClock = new AtomicLong(1_000_000_000L);
    singletonReachableFromEveryNode(frozenClock);

    AtomicInteger seen = new AtomicInteger();
    Map<String, ProviderFactory> factories = Map.of("counted", (system, llm) -> new CountingProvider(seen));
    Config troupe = ConfigFactory.parseString("""
            troupe.llm {
              provider = counted
              resilience.rate-limit {
                requests-per-minute = %d
                # Long enough for every lease round trip on a loaded machine; the clock is frozen, so
                # waiting longer grants nothing more.
                max-wait = 5s
                lease-requests = 5
              }
            }
            """.formatted(LIMIT))
        .withFallback(config).resolve().getConfig("troupe");

    List<ActorRef<LlmGateway.Command>> gateways = new ArrayList<>();
    for (ActorTestKit node : nodes) {
      ActorRef<LlmGateway.Command> gateway =
          node.spawn(LlmGatewayActor.create(troupe, factories, frozenClock::get, () -> 0.0), "llm-gateway");
      TestProbe<Lifecycle.Initialized> init = node.createTestProbe();
      gateway.tell(new Lifecycle.Init(init.ref()));
      assertTrue(init.receiveMessage().isOk());
      gateways.add(gateway);
    }

    // Every node fires its calls at once, before any answer arrives.
    List<TestProbe<LlmGateway.ChatResult>> replies = new ArrayList<>();
    for (int n = 0; n < nodes.size(); n++) {
      TestProbe<LlmGateway.ChatResult> probe = nodes.get(n).createTestProbe();
      replies.add(probe);
      for (int i = 0; i < CALLS_PER_NODE; i++) {
        ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user("call " + n + "-" + i)), List.of(), 0, false);
        gateways.get(n).tell(new LlmGateway.Chat(request, null, probe.ref(), null));
      }
    }

    int ok = 0;
    int rateLimited = 0;
    int nodesServed = 0;
    for (TestProbe<LlmGateway.ChatResult> probe : replies) {
      int served = 0;
      for (LlmGateway.ChatResult result : probe.receiveSeveralMessages(CALLS_PER_NODE, Duration.ofSeconds(30))) {
        if (result.isOk()) {
          served++;
        } else {
          assertEquals(LlmFailure.Code.RATE_LIMITED, result.failure().code(), result.failure().message());
          assertTrue(result.failure().message().contains("cluster-wide rate limit"), result.failure().message());
          rateLimited++;
        }
      }
      ok += served;
      nodesServed += served > 0 ? 1 : 0;
    }

    assertEquals(ok, seen.get(), "every call that was answered ok reached the provider once");
    assertTrue(seen.get() <= LIMIT, "the provider saw " + seen.get() + " calls, more than the limit of " + LIMIT);
    assertTrue(seen.get() >= 20, "the quota was used across the nodes: " + seen.get());
    assertEquals(3 * CALLS_PER_NODE - ok, rateLimited);
    assertTrue(nodesServed >= 2, "the permits went to more than one node: " + nodesServed);
  }

  @Test
  void withoutAReachableCoordinatorCallsWaitThenFailRateLimited() {
    // A cluster node that never joins: its singleton never starts, so no lease ever comes.
    Config config = ConfigFactory.parseString(CLUSTER).withFallback(ConfigFactory.load());
    ActorTestKit lonely = ActorTestKit.create("QuotaAlone", config);
    nodes.add(lonely);
    AtomicInteger seen = new AtomicInteger();
    Config troupe = ConfigFactory.parseString("""
            troupe.llm {
              provider = counted
              resilience.rate-limit { requests-per-minute = 600, max-wait = 1s, lease-timeout = 300ms }
            }
            """)
        .withFallback(config).resolve().getConfig("troupe");
    ActorRef<LlmGateway.Command> gateway = lonely.spawn(LlmGatewayActor.create(troupe,
        Map.of("counted", (system, llm) -> new CountingProvider(seen)), System::nanoTime, () -> 0.0));
    TestProbe<Lifecycle.Initialized> init = lonely.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());

    TestProbe<LlmGateway.ChatResult> probe = lonely.createTestProbe();
    for (int i = 0; i < 3; i++) {
      ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user("call " + i)), List.of(), 0, false);
      gateway.tell(new LlmGateway.Chat(request, null, probe.ref(), null));
    }
    probe.expectNoMessage(Duration.ofMillis(700)); // they wait (max-wait is 1 s) ...
    for (LlmGateway.ChatResult result : probe.receiveSeveralMessages(3, Duration.ofSeconds(10))) { // ... then fail
      assertEquals(LlmFailure.Code.RATE_LIMITED, result.failure().code());
      assertTrue(result.failure().message().contains("no lease"), result.failure().message());
    }
    assertEquals(0, seen.get(), "nothing reached the provider without a permit");
  }

  /**
   * Every node's singleton proxy has found the coordinator (a lease of another provider came back),
   * so that the test measures the quota, not how long a new proxy takes to find the oldest node.
   */
  private void singletonReachableFromEveryNode(AtomicLong clock) {
    for (ActorTestKit node : nodes) {
      ActorRef<QuotaCoordinator.Command> coordinator = QuotaCoordinator.initSingleton(node.system(), clock::get);
      TestProbe<QuotaCoordinator.Lease> probe = node.createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(500), () -> {
        coordinator.tell(new QuotaCoordinator.RequestLease("warm-up", 1000, 0, 1, 0, 0, probe.ref()));
        assertTrue(probe.receiveMessage(Duration.ofMillis(400)).granted());
        return null;
      });
    }
  }

  private void formCluster() {
    Address first = Cluster.get(nodes.get(0).system()).selfMember().address();
    for (ActorTestKit node : nodes) {
      Cluster.get(node.system()).manager().tell(new Join(first));
    }
    TestProbe<Void> probe = nodes.get(0).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), () -> {
      for (ActorTestKit node : nodes) {
        int up = 0;
        for (Member m : Cluster.get(node.system()).state().getMembers()) {
          if (m.status() == MemberStatus.up()) up++;
        }
        assertEquals(nodes.size(), up, "members up as seen from " + node.system().address());
      }
      return null;
    });
  }
}
