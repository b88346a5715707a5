package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.inbox.InboxEntry;
import io.troupe.core.inbox.InboxStore;
import io.troupe.core.inbox.IntentInbox;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.SessionEntity;
import io.troupe.http.intents.InboxFallback;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * POST /v1/intents while a cluster member is unreachable and the session does not answer: the
 * submission is written to the intent inbox and answered 202 with the inbox's id, once per key.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class InboxFallbackTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ConfigFactory.load()).build();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The inbox table, in memory. */
  private static final class Entries implements InboxStore {
    final List<InboxEntry> written = new ArrayList<>();

    @Override
    public synchronized InboxEntry put(InboxEntry entry) {
      for (InboxEntry e : written) {
        if (e.sessionId().equals(entry.sessionId()) && e.idempotencyKey().equals(entry.idempotencyKey())) return e;
      }
      InboxEntry e = entry.withInboxId(written.size() + 1);
      written.add(e);
      return e;
    }

    @Override
    public synchronized List<InboxEntry> pending(String sessionId, int limit) {
      return List.copyOf(written);
    }

    @Override
    public void remove(List<Long> inboxIds) {}

    @Override
    public List<String> sessionsWithPending(long olderThanMillis, int limit) {
      return List.of();
    }
  }

  @Test
  void aSessionThatCannotAnswerWhileAMemberIsUnreachableGetsItsSubmissionThroughTheInbox() throws Exception {
    Entries entries = new Entries();
    IntentInbox inbox = IntentInbox.get(testKit.system());
    inbox.attach(entries, Runnable::run);
    TestProbe<SessionEntity.Command> unreachableSession = testKit.createTestProbe();
    AtomicBoolean memberUnreachable = new AtomicBoolean(true);
    Backends plain = Fakes.backends(testKit, id -> unreachableSession.getRef(),
        testKit.spawn(Fakes.supervisor(Fakes.readiness(true))), testKit.spawn(Fakes.tools()),
        testKit.spawn(Fakes.vectorStore()), testKit.spawn(Fakes.llm(new LlmGateway.Status(List.of(
            new LlmGateway.TargetStatus("openai", "gpt-4o-mini", LlmGateway.BreakerState.CLOSED, true, 1, 0))))));
    Backends backends = new Backends(plain.sessions(), plain.supervisor(), plain.tools(), plain.vectorStore(), plain.llm(),
        plain.guardrail(), InboxFallback.of(inbox, memberUnreachable::get, plain.sessions(), Duration.ofMillis(300)));
    HttpSettings defaults = HttpSettings.fromConfig(testKit.system().settings().config().getConfig("troupe.http"));
    HttpSettings settings = new HttpSettings("127.0.0.1", 0, 2048, 4096, Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(10), 3, Duration.ofSeconds(5), Duration.ofSeconds(15), 64, 10, 5, 50, 2, List.of(),
        defaults.limits());
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, settings, bound));
    String base = "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();

    HttpResponse<String> first = post(base, "{\"text\":\"Refund order 7\",\"sessionId\":\"s-down\"}", "key-7");
    assertEquals(202, first.statusCode(), first.body());
    JsonNode accepted = Json.parse(first.body());
    assertEquals("s-down.i1", accepted.get("id").asText());
    assertEquals("s-down", accepted.get("sessionId").asText());
    assertEquals("accepted", accepted.get("status").asText());
    // The session was asked first (with the key), then told to take its inbox.
    SessionEntity.Submit asked = unreachableSession.expectMessageClass(SessionEntity.Submit.class);
    assertEquals("key-7", asked.idempotencyKey());
    unreachableSession.expectMessageClass(SessionEntity.TakeInbox.class);
    assertEquals("Refund order 7", entries.written.get(0).text());

    HttpResponse<String> retried = post(base, "{\"text\":\"Refund order 7\",\"sessionId\":\"s-down\"}", "key-7");
    assertEquals("s-down.i1", Json.parse(retried.body()).get("id").asText(), "a retry is the same intent");
    assertEquals("key-7", unreachableSession.expectMessageClass(SessionEntity.Submit.class).idempotencyKey());
    unreachableSession.expectMessageClass(SessionEntity.TakeInbox.class);

    HttpResponse<String> unkeyed = post(base, "{\"text\":\"Where is order 8?\",\"sessionId\":\"s-down\"}", null);
    assertEquals("s-down.i2", Json.parse(unkeyed.body()).get("id").asText());
    String madeKey = unreachableSession.expectMessageClass(SessionEntity.Submit.class).idempotencyKey();
    assertTrue(madeKey.startsWith("inbox:"), madeKey);
    assertEquals(madeKey, entries.written.get(1).idempotencyKey(), "the session and the inbox agree on the key");
    unreachableSession.expectMessageClass(SessionEntity.TakeInbox.class);

    // With every member reachable the inbox is not used: the submission waits for its session.
    memberUnreachable.set(false);
    CompletableFuture<HttpResponse<String>> waiting =
        CompletableFuture.supplyAsync(() -> postQuietly(base, "{\"text\":\"Hello\",\"sessionId\":\"s-down\"}"));
    SessionEntity.Submit direct = unreachableSession.expectMessageClass(SessionEntity.Submit.class);
    direct.replyTo().tell(org.apache.pekko.pattern.StatusReply.error("no"));
    assertEquals(500, waiting.get(20, TimeUnit.SECONDS).statusCode() / 100 * 100);
    unreachableSession.expectNoMessage(Duration.ofMillis(500));
    assertEquals(2, entries.written.size());
    inbox.detach(entries);
  }

  private HttpResponse<String> postQuietly(String base, String body) {
    try {
      return post(base, body, null);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> post(String base, String body, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v1/intents"))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) request.header("Idempotency-Key", key);
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
