package io.troupe.llm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import java.util.Map;
import io.troupe.core.session.EventStream;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionSettings;
import io.troupe.core.vector.VectorStore;
import io.troupe.llm.LlmGatewayActor;
import io.troupe.llm.fake.FakeProviderServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;

/**
 * One intent-level test setup: a real {@link SessionEntity} (in-memory journal) running its agent
 * loop against the real {@link LlmGatewayActor} (its providers pointed at a {@link FakeProviderServer}
 * on loopback), the real {@link Guardrail} and a {@link FakeToolRegistry}. Every wait is bounded.
 */
final class IntentBed implements AutoCloseable {
  /** The key the providers send; the tests check it never leaks. */
  static final String KEY = "sk-intent-SECRET-7f3a9c21e8b4d605";

  static final Duration WAIT = Duration.ofSeconds(20);

  /** The actor system of an intent test class: the in-memory journal, and Pekko's logs through SLF4J. */
  static Config systemConfig() {
    return PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("""
            pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
            pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
            pekko.loglevel = DEBUG
            """))
        .withFallback(ConfigFactory.load());
  }

  final ActorTestKit testKit;
  final FakeProviderServer fake;
  final Config troupe;
  final ActorRef<LlmGateway.Command> gateway;
  final ActorRef<SessionEntity.Command> session;
  final String sessionId = "s-" + UUID.randomUUID().toString().substring(0, 8);

  private IntentBed(ActorTestKit testKit, String provider, boolean stream, String extra) throws Exception {
    this.testKit = testKit;
    this.fake = FakeProviderServer.start(testKit.system());
    this.troupe = ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString("""
            troupe {
              agent {
                stream = %2$s
                model-timeout = 20s
                tool-timeout = 2s
                system-prompt = "You are a test agent."
              }
              llm {
                provider = %1$s
                stream = %2$s
                call-timeout = 5s
                total-timeout = 15s
                openai { base-url = "%3$s/v1", api-key = "%4$s", model = "gpt-test" }
                anthropic { base-url = "%3$s", api-key = "%4$s", model = "claude-test" }
                http.idle-timeout = 10s
                resilience.retry { max-attempts = 3, initial-backoff = 20ms, max-backoff = 100ms, jitter = 0 }
              }
            }
            """.formatted(provider, stream, fake.baseUrl(), KEY)))
        .withFallback(ConfigFactory.load()).resolve().getConfig("troupe");

    this.gateway = testKit.spawn(LlmGatewayActor.create(troupe));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.getRef()));
    assertEquals(Lifecycle.Initialized.ok(LlmGatewayActor.NAME), init.receiveMessage(WAIT));

    var tools = testKit.spawn(FakeToolRegistry.create());
    ToolCatalogs.get(testKit.system()).publish(FakeToolRegistry.SPECS,
        Map.of("calculator", Tool.Effect.READ_ONLY, "current_time", Tool.Effect.READ_ONLY));
    TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(gateway, tools, vector.getRef())));
    this.session = testKit.spawn(SessionEntity.create(sessionId, guardrail, SessionSettings.fromConfig(troupe)));
  }

  /** {@code provider} is {@code openai} or {@code anthropic}; {@code extra} is HOCON (full paths) on top. */
  static IntentBed start(ActorTestKit testKit, String provider, boolean stream, String extra) throws Exception {
    return new IntentBed(testKit, provider, stream, extra);
  }

  IntentView submit(String text) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit(text, null, null, probe.getRef()));
    StatusReply<IntentView> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  /** Subscribes to the intent's events (the journaled ones are replayed, then live ones follow). */
  TestProbe<EventStream.Message> subscribe(String intentId) {
    TestProbe<EventStream.Message> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.Subscribe(intentId, 0, probe.getRef()));
    return probe;
  }

  /** The terminal intent (bounded wait). */
  IntentView await(String intentId) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.AwaitTerminal(intentId, probe.getRef()));
    StatusReply<IntentView> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  IntentView get(String intentId) {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session.tell(new SessionEntity.Get(intentId, probe.getRef()));
    return probe.receiveMessage(WAIT).getValue();
  }

  /** Submits and waits for the end. */
  IntentView run(String text) {
    return await(submit(text).id());
  }

  /** Every event the subscriber receives until {@link EventStream.Completed} (at most 1,000, each within WAIT). */
  static List<IntentEvent> drain(TestProbe<EventStream.Message> subscriber) {
    List<IntentEvent> events = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      EventStream.Message m = subscriber.receiveMessage(WAIT);
      if (m instanceof EventStream.Completed) {
        return events;
      }
      if (m instanceof EventStream.Item item) {
        events.add(item.event());
      } else {
        throw new AssertionError("unexpected " + m);
      }
    }
    throw new AssertionError("the event stream did not complete after 1000 events");
  }

  static List<String> types(List<IntentEvent> events) {
    return events.stream().map(IntentEvent::type).toList();
  }

  /** The whole intent resource as JSON text, for "this never appears anywhere" checks. */
  static String everything(IntentView view) {
    return Json.write(view);
  }

  /** The fake saw exactly {@code n} requests, all to {@code path}. */
  void assertRequests(int n, String path) {
    assertEquals(n, fake.requestCount(), () -> "requests: " + fake.requests().stream().map(r -> r.path()).toList());
    fake.requests().forEach(r -> assertEquals(path, r.path()));
  }

  static void assertNoKey(String where, String text) {
    assertFalse(text.contains(KEY), () -> "the API key leaked into " + where + ": " + text);
    assertFalse(text.contains(KEY.substring(10)), () -> "part of the API key leaked into " + where + ": " + text);
  }

  @Override
  public void close() throws Exception {
    testKit.stop(session, Duration.ofSeconds(10));
    testKit.stop(gateway, Duration.ofSeconds(10));
    fake.close();
  }
}
