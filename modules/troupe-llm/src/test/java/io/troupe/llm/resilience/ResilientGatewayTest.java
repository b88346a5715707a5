package io.troupe.llm.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.llm.LlmException;
import io.troupe.llm.LlmGatewayActor;
import io.troupe.llm.ProviderFactory;
import io.troupe.llm.http.RateLimitInfo;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The gateway's resilience layer against scripted providers, on virtual time. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResilientGatewayTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

  private static final Duration NOTHING = Duration.ofMillis(100);

  /** One gateway with its providers, its virtual clock and a barrier. */
  private final class Rig {
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final Map<String, ScriptedProvider> providers = new HashMap<>();
    final TestProbe<ScriptedProvider.Received> calls = testKit.createTestProbe();
    final ActorRef<LlmGateway.Command> gateway;

    Rig(String config, String... providerNames) {
      Map<String, ProviderFactory> factories = new HashMap<>();
      for (String name : providerNames) {
        ScriptedProvider p = new ScriptedProvider(name, calls);
        providers.put(name, p);
        factories.put(name, (system, llm) -> p);
      }
      Config troupe = ConfigFactory.parseString("troupe.llm { provider = " + providerNames[0] + "\n" + config + "\n}")
          .withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
      gateway = testKit.spawn(LlmGatewayActor.create(troupe, factories, nanos::get, () -> 0.0));
      TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
      gateway.tell(new Lifecycle.Init(init.ref()));
      assertTrue(init.receiveMessage().isOk());
    }

    TestProbe<LlmGateway.ChatResult> chat(String text) {
      return chat(text, null, null);
    }

    TestProbe<LlmGateway.ChatResult> chat(String text, String callKey, ActorRef<ChatDelta> deltaTo) {
      TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
      ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user(text)), List.of(), 0, deltaTo != null);
      gateway.tell(new LlmGateway.Chat(request, deltaTo, reply.ref(), callKey));
      return reply;
    }

    /**
     * The next call the provider received, once the gateway has finished sending it (so that a
     * completion from the test reaches the gateway before anything the test sends after it).
     */
    ScriptedProvider.Received next() {
      ScriptedProvider.Received received = calls.receiveMessage();
      status();
      return received;
    }

    /** Every message sent to the gateway so far has been handled (and every timer it set is running). */
    LlmGateway.Status status() {
      TestProbe<LlmGateway.Status> probe = testKit.createTestProbe();
      gateway.tell(new LlmGateway.GetStatus(probe.ref()));
      return probe.receiveMessage();
    }

    void advance(Duration d) {
      status();
      nanos.addAndGet(d.toNanos());
      ManualTime.get(testKit.system()).timePasses(d);
      status(); // the timers that fired have been handled
    }

    LlmGateway.TargetStatus target(String provider) {
      return status().targets().stream().filter(t -> t.provider().equals(provider)).findFirst().orElseThrow();
    }
  }

  private static LlmException failure(LlmFailure.Code code, int status, Duration retryAfter) {
    return new LlmException(code, "the provider said " + status, status, new RateLimitInfo(retryAfter, Map.of()), false);
  }

  @Test
  void aFullQueueFailsFastAndSaysSo() {
    Rig rig = new Rig("resilience.bulkhead { max-concurrent = 1, max-queued = 1 }", "p");
    TestProbe<LlmGateway.ChatResult> first = rig.chat("one");
    ScriptedProvider.Received running = rig.next();
    TestProbe<LlmGateway.ChatResult> second = rig.chat("two");
    TestProbe<LlmGateway.ChatResult> third = rig.chat("three");

    LlmFailure full = third.receiveMessage().failure();
    assertEquals(LlmFailure.Code.OVERLOADED, full.code());
    assertTrue(full.message().contains("gateway queue for provider 'p' is full"), full.message());
    rig.calls.expectNoMessage(NOTHING); // the second waits for the slot
    assertEquals(1, rig.target("p").activeCalls());
    assertEquals(1, rig.target("p").queuedCalls());

    running.answer("done");
    assertTrue(first.receiveMessage().isOk());
    rig.next().answer("two done"); // the slot went to the queued call
    assertTrue(second.receiveMessage().isOk());
  }

  @Test
  void theRequestBucketDelaysTheSecondCallUntilItRefills() {
    Rig rig = new Rig("resilience.rate-limit { requests-per-minute = 1, max-wait = 2m }", "p");
    TestProbe<LlmGateway.ChatResult> first = rig.chat("one");
    rig.next().answer("ok");
    assertTrue(first.receiveMessage().isOk());

    TestProbe<LlmGateway.ChatResult> second = rig.chat("two");
    rig.advance(Duration.ofMillis(59_999));
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    rig.next().answer("ok");
    assertTrue(second.receiveMessage().isOk());

    // a wait longer than max-wait fails at once
    Rig strict = new Rig("resilience.rate-limit { requests-per-minute = 1, max-wait = 10s }", "p");
    strict.chat("one");
    strict.next().answer("ok");
    LlmFailure limited = strict.chat("two").receiveMessage().failure();
    assertEquals(LlmFailure.Code.RATE_LIMITED, limited.code());
    assertTrue(limited.message().contains("rate limit of provider 'p'"), limited.message());
  }

  @Test
  void theBucketsAdaptToTheProvidersHeaders() {
    Rig rig = new Rig("", "p"); // no static limit
    ScriptedProvider p = rig.providers.get("p");
    TestProbe<LlmGateway.ChatResult> first = rig.chat("one");
    rig.next().answer("ok");
    assertTrue(first.receiveMessage().isOk());

    // the provider says: 100 a minute, none left for 10 s
    p.rateLimitListener.accept(new RateLimitInfo(null, Map.of(
        "x-ratelimit-limit-requests", "100", "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "10s")));
    TestProbe<LlmGateway.ChatResult> second = rig.chat("two");
    rig.advance(Duration.ofMillis(9_999));
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    rig.next().answer("ok");
    assertTrue(second.receiveMessage().isOk());

    // Anthropic's token headers: the bucket learns 1000 tokens a minute with 0 left
    p.rateLimitListener.accept(new RateLimitInfo(null, Map.of(
        "anthropic-ratelimit-tokens-limit", "1000", "anthropic-ratelimit-tokens-remaining", "0")));
    TestProbe<LlmGateway.ChatResult> third = rig.chat("x".repeat(400)); // ~100 tokens: 6 s of refill
    rig.advance(Duration.ofSeconds(5));
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofSeconds(1));
    rig.next().answer("ok");
    assertTrue(third.receiveMessage().isOk());
  }

  @Test
  void retriesBackOffAndHonourRetryAfter() {
    Rig rig = new Rig("resilience.retry { max-attempts = 3, initial-backoff = 1s, multiplier = 2, jitter = 0 }", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    rig.next().fail(failure(LlmFailure.Code.RATE_LIMITED, 429, Duration.ofSeconds(7)));

    rig.advance(Duration.ofMillis(6_999)); // Retry-After wins over the 1 s backoff
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    rig.next().fail(failure(LlmFailure.Code.PROVIDER_ERROR, 500, null));

    rig.advance(Duration.ofMillis(1_999)); // third attempt: 1 s * 2
    rig.calls.expectNoMessage(NOTHING);
    reply.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    rig.next().fail(failure(LlmFailure.Code.OVERLOADED, 529, null));

    LlmFailure last = reply.receiveMessage().failure();
    assertEquals(LlmFailure.Code.OVERLOADED, last.code());
    rig.advance(Duration.ofMinutes(1));
    rig.calls.expectNoMessage(NOTHING);
    assertEquals(3, rig.providers.get("p").received.size());
  }

  @Test
  void a429PausesTheWholeProviderAndItsHeadersAreAdopted() {
    Rig rig = new Rig("resilience.retry { initial-backoff = 1s, jitter = 0 }", "p");
    TestProbe<LlmGateway.ChatResult> first = rig.chat("one");
    rig.next().fail(new LlmException(LlmFailure.Code.RATE_LIMITED, "slow down", 429,
        new RateLimitInfo(Duration.ofSeconds(5), Map.of("x-ratelimit-limit-tokens", "60000")), false));
    TestProbe<LlmGateway.ChatResult> second = rig.chat("two"); // a fresh call waits as well
    rig.advance(Duration.ofMillis(4_999));
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    rig.next().answer("a");
    rig.next().answer("b");
    assertTrue(first.receiveMessage().isOk());
    assertTrue(second.receiveMessage().isOk());
  }

  @Test
  void aRetryThatSucceedsAnswersOnce() {
    Rig rig = new Rig("resilience.retry { initial-backoff = 500ms, jitter = 0 }", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    rig.next().fail(new LlmException(LlmFailure.Code.TIMEOUT, "slow first byte"));
    rig.advance(Duration.ofMillis(500));
    rig.next().answer("second time lucky");
    assertEquals("second time lucky", reply.receiveMessage().response().message().content());
    reply.expectNoMessage(NOTHING);
  }

  @Test
  void aStreamIsNotRetriedOnceContentReachedTheCaller() {
    Rig rig = new Rig("resilience.retry.jitter = 0", "p");
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi", null, deltas.ref());
    ScriptedProvider.Received call = rig.next();
    assertTrue(call.request().stream());
    call.onDelta().accept(ChatDelta.text("Hel"));
    assertEquals("Hel", deltas.receiveMessage().text());
    call.fail(new LlmException(LlmFailure.Code.PROVIDER_ERROR, "connection reset"));
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, reply.receiveMessage().failure().code());
    rig.advance(Duration.ofMinutes(1));
    rig.calls.expectNoMessage(NOTHING);

    // the provider's own flag counts as well
    TestProbe<LlmGateway.ChatResult> second = rig.chat("again");
    rig.next().fail(new LlmException(LlmFailure.Code.PROVIDER_ERROR, "stream cut", 0, RateLimitInfo.NONE, true));
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, second.receiveMessage().failure().code());
    rig.advance(Duration.ofMinutes(1));
    rig.calls.expectNoMessage(NOTHING);
  }

  @Test
  void clientErrorsAreNotRetried() {
    Rig rig = new Rig("", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    rig.next().fail(new LlmException(LlmFailure.Code.AUTHENTICATION,
        "invalid x-api-key: sk-ant-secret123456 (Authorization: Bearer sk-live-abcdef123456)"));
    LlmFailure failure = reply.receiveMessage().failure();
    assertEquals(LlmFailure.Code.AUTHENTICATION, failure.code());
    assertFalse(failure.message().contains("secret123456"), failure.message());
    assertFalse(failure.message().contains("abcdef123456"), failure.message());
    rig.advance(Duration.ofMinutes(1));
    rig.calls.expectNoMessage(NOTHING);
    assertEquals(LlmGateway.BreakerState.CLOSED, rig.target("p").breaker()); // not the provider's fault
  }

  @Test
  void theBreakerOpensOnItsFailureRateAndHalfOpensAfterItsResetTime() {
    Rig rig = new Rig("resilience { retry.max-attempts = 1, circuit-breaker { minimum-calls = 2, reset-timeout = 30s } }", "p");
    for (int i = 0; i < 2; i++) {
      TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
      rig.next().fail(failure(LlmFailure.Code.PROVIDER_ERROR, 500, null));
      assertEquals(LlmFailure.Code.PROVIDER_ERROR, reply.receiveMessage().failure().code());
    }
    assertEquals(LlmGateway.BreakerState.OPEN, rig.target("p").breaker());
    assertFalse(rig.status().allClosed());

    LlmFailure open = rig.chat("hi").receiveMessage().failure();
    assertEquals(LlmFailure.Code.UNAVAILABLE, open.code());
    assertTrue(open.message().contains("circuit open for 'p/default'"), open.message());
    rig.calls.expectNoMessage(NOTHING);

    rig.advance(Duration.ofSeconds(30));
    assertEquals(LlmGateway.BreakerState.HALF_OPEN, rig.target("p").breaker());
    TestProbe<LlmGateway.ChatResult> trial = rig.chat("trial");
    ScriptedProvider.Received trialCall = rig.next();
    assertEquals(LlmFailure.Code.UNAVAILABLE, rig.chat("meanwhile").receiveMessage().failure().code());
    trialCall.answer("healthy again");
    assertTrue(trial.receiveMessage().isOk());
    assertEquals(LlmGateway.BreakerState.CLOSED, rig.target("p").breaker());
  }

  /** A failure of the connection, as the HTTP providers report it (see ProviderErrors). */
  private static LlmException noConnection() {
    return LlmException.connection(LlmFailure.Code.PROVIDER_ERROR,
        "no connection to p (StreamTcpException): Connection was cancelled");
  }

  @Test
  void connectionFailuresAreRetriedWithinTheBudgetAndNeverOpenTheBreaker() {
    // one attempt for the provider's own failures, and a breaker that would open on the first one
    Rig rig = new Rig("total-timeout = 10s\nresilience { retry { max-attempts = 1, initial-backoff = 500ms, "
        + "max-backoff = 2s, jitter = 0 }, circuit-breaker.minimum-calls = 1 }", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    rig.next().fail(noConnection());
    rig.advance(Duration.ofMillis(499));
    rig.calls.expectNoMessage(NOTHING);
    reply.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1)); // 500 ms, then 1 s, 2 s, 2 s: more attempts than max-attempts
    rig.next().fail(noConnection());
    rig.advance(Duration.ofSeconds(1));
    // Pekko's own exception, not wrapped by a provider, is a connection failure too
    rig.next().fail(new org.apache.pekko.stream.StreamTcpException(
        "Connection was cancelled (caused by a failure of the underlying HTTP connection)"));
    rig.advance(Duration.ofSeconds(2));
    rig.next().answer("through at last");
    assertEquals("through at last", reply.receiveMessage().response().message().content());
    assertEquals(LlmGateway.BreakerState.CLOSED, rig.target("p").breaker());

    // a provider that cannot be reached at all: the call ends inside its budget, with the reason
    TestProbe<LlmGateway.ChatResult> hopeless = rig.chat("again");
    rig.next().fail(noConnection());
    int attempts = 1;
    for (long ms : new long[] {500, 1000, 2000, 2000, 2000, 2000}) { // at 0.5, 1.5, 3.5, 5.5, 7.5 and 9.5 s
      reply.expectNoMessage(Duration.ZERO);
      rig.advance(Duration.ofMillis(ms));
      rig.next().fail(noConnection());
      attempts++;
    }
    LlmFailure gaveUp = hopeless.receiveMessage().failure(); // 0.5 s left: less than the next backoff
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, gaveUp.code());
    assertTrue(gaveUp.message().contains("no connection to p"), gaveUp.message());
    assertEquals(7, attempts);
    rig.advance(Duration.ofSeconds(5));
    rig.calls.expectNoMessage(NOTHING);
    assertEquals(LlmGateway.BreakerState.CLOSED, rig.target("p").breaker(), "the provider never answered");

    // the provider's own 500, by contrast, opens this breaker at once
    TestProbe<LlmGateway.ChatResult> failing = rig.chat("once more");
    rig.next().fail(failure(LlmFailure.Code.PROVIDER_ERROR, 500, null));
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, failing.receiveMessage().failure().code());
    assertEquals(LlmGateway.BreakerState.OPEN, rig.target("p").breaker());
  }

  @Test
  void aBurstOpensConnectionsAtThePacersRate() {
    Rig rig = new Rig("resilience.connection-pacing { new-per-second = 10, burst = 2 }", "p");
    List<TestProbe<LlmGateway.ChatResult>> replies = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      replies.add(rig.chat("call " + i));
    }
    ScriptedProvider.Received c0 = rig.next();
    ScriptedProvider.Received c1 = rig.next();
    rig.calls.expectNoMessage(NOTHING); // the burst is spent: the third needs a new connection
    rig.advance(Duration.ofMillis(99));
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(1));
    ScriptedProvider.Received c2 = rig.next();
    assertEquals("call 2", c2.request().messages().get(0).content());
    rig.calls.expectNoMessage(NOTHING);
    c0.answer("zero"); // its connection is free again: the next call takes it without a permit
    assertTrue(replies.get(0).receiveMessage().isOk());
    assertEquals("call 3", rig.next().request().messages().get(0).content());
    rig.calls.expectNoMessage(NOTHING);
    rig.advance(Duration.ofMillis(100));
    assertEquals("call 4", rig.next().request().messages().get(0).content());
    c1.answer("one");
    assertTrue(replies.get(1).receiveMessage().isOk());
  }

  @Test
  void aFailingProviderFallsBackToTheNextInTheChain() {
    Rig rig = new Rig("fallback = [\"backup/b-model\"]\n"
        + "resilience { retry.max-attempts = 1, circuit-breaker.minimum-calls = 1 }", "primary", "backup");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    ScriptedProvider.Received first = rig.next();
    first.fail(failure(LlmFailure.Code.OVERLOADED, 529, null));
    ScriptedProvider.Received second = rig.next();
    assertEquals("b-model", second.request().model());
    assertEquals(1, rig.providers.get("backup").received.size());
    second.future().complete(ScriptedProvider.response("from backup", "b-model", "backup"));
    assertEquals("backup", reply.receiveMessage().response().provider());

    // the primary's breaker is open now: the next call goes straight to the backup
    assertEquals(LlmGateway.BreakerState.OPEN, rig.target("primary").breaker());
    TestProbe<LlmGateway.ChatResult> next = rig.chat("again");
    rig.next().answer("backup again");
    assertTrue(next.receiveMessage().isOk());
    assertEquals(1, rig.providers.get("primary").received.size());
    assertEquals(2, rig.providers.get("backup").received.size());

    // client errors do not fall back
    Rig strict = new Rig("fallback = [backup]\nresilience.retry.max-attempts = 1", "primary", "backup");
    TestProbe<LlmGateway.ChatResult> invalid = strict.chat("hi");
    strict.next().fail(new LlmException(LlmFailure.Code.INVALID_REQUEST, "bad"));
    assertEquals(LlmFailure.Code.INVALID_REQUEST, invalid.receiveMessage().failure().code());
    assertEquals(0, strict.providers.get("backup").received.size());
  }

  @Test
  void aFallbackProviderThatCannotStartIsSkippedAndShownUnavailable() {
    TestProbe<ScriptedProvider.Received> calls = testKit.createTestProbe();
    ScriptedProvider primary = new ScriptedProvider("primary", calls);
    Map<String, ProviderFactory> factories = Map.of(
        "primary", (system, llm) -> primary,
        "broken", (system, llm) -> {
          throw new IllegalStateException("no api key configured");
        });
    Config troupe = ConfigFactory.parseString(
            "troupe.llm { provider = primary, fallback = [broken], resilience.retry.max-attempts = 1 }")
        .withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(troupe, factories));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());

    TestProbe<LlmGateway.Status> status = testKit.createTestProbe();
    gateway.tell(new LlmGateway.GetStatus(status.ref()));
    List<LlmGateway.TargetStatus> targets = status.receiveMessage().targets();
    assertEquals(List.of(
            new LlmGateway.TargetStatus("primary", "default", LlmGateway.BreakerState.CLOSED, true, 0, 0),
            new LlmGateway.TargetStatus("broken", "default", LlmGateway.BreakerState.CLOSED, false, 0, 0)),
        targets);

    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();
    gateway.tell(new LlmGateway.Chat(new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, false), null,
        reply.ref()));
    calls.receiveMessage();
    gateway.tell(new LlmGateway.GetStatus(status.ref()));
    status.receiveMessage();
    primary.received.get(0).fail(failure(LlmFailure.Code.PROVIDER_ERROR, 502, null));
    LlmFailure failure = reply.receiveMessage().failure();
    // the fallback could not be tried: the answer is the primary's own failure
    assertEquals(LlmFailure.Code.PROVIDER_ERROR, failure.code());
    assertEquals("the provider said 502", failure.message());
  }

  @Test
  void cancelAbortsTheProviderCallAndFreesTheSlot() {
    Rig rig = new Rig("resilience.bulkhead { max-concurrent = 1, max-queued = 10 }", "p");
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    TestProbe<LlmGateway.ChatResult> cancelled = rig.chat("long", "intent-1/model-1", deltas.ref());
    ScriptedProvider.Received running = rig.next();
    TestProbe<LlmGateway.ChatResult> waiting = rig.chat("next");
    rig.calls.expectNoMessage(NOTHING);

    rig.gateway.tell(new LlmGateway.CancelChat("intent-1/model-1"));
    ScriptedProvider.Received next = rig.next(); // the slot went to the waiting call
    assertTrue(running.future().isCancelled(), "the provider's request was aborted");
    running.onDelta().accept(ChatDelta.text("late"));
    deltas.expectNoMessage(NOTHING);
    cancelled.expectNoMessage(NOTHING); // no late reply
    next.answer("ok");
    assertTrue(waiting.receiveMessage().isOk());
    assertEquals(0, rig.target("p").activeCalls());

    // a queued call can be cancelled too; unknown keys are ignored
    TestProbe<LlmGateway.ChatResult> a = rig.chat("a");
    ScriptedProvider.Received aCall = rig.next();
    TestProbe<LlmGateway.ChatResult> b = rig.chat("b", "intent-2/model-1", null);
    rig.gateway.tell(new LlmGateway.CancelChat("intent-2/model-1"));
    rig.gateway.tell(new LlmGateway.CancelChat("nobody"));
    assertEquals(0, rig.target("p").queuedCalls());
    aCall.answer("ok");
    assertTrue(a.receiveMessage().isOk());
    b.expectNoMessage(NOTHING);
    rig.calls.expectNoMessage(NOTHING);
  }

  @Test
  void theTotalTimeoutBoundsAllAttempts() {
    Rig rig = new Rig("call-timeout = 10s\ntotal-timeout = 25s\nresilience.retry { max-attempts = 5, initial-backoff = 1s, jitter = 0 }", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    ScriptedProvider.Received first = rig.next();
    rig.advance(Duration.ofSeconds(10)); // the attempt times out and is aborted
    assertTrue(first.future().isCancelled());
    rig.advance(Duration.ofSeconds(1));
    ScriptedProvider.Received second = rig.next();
    rig.advance(Duration.ofSeconds(10));
    assertTrue(second.future().isCancelled());
    rig.advance(Duration.ofSeconds(2));
    ScriptedProvider.Received third = rig.next();
    rig.advance(Duration.ofSeconds(2)); // 25 s in all
    LlmFailure timeout = reply.receiveMessage().failure();
    assertEquals(LlmFailure.Code.TIMEOUT, timeout.code());
    assertTrue(timeout.message().contains("3 attempts"), timeout.message());
    assertTrue(third.future().isCancelled());
  }

  @Test
  void usageCarriesTheCostOfPricedModels() {
    Rig rig = new Rig("pricing { \"scripted\" { input-per-million = 2.0, output-per-million = 8.0 } }", "p");
    TestProbe<LlmGateway.ChatResult> reply = rig.chat("hi");
    rig.next().answer("ok"); // 1000 in, 500 out
    assertEquals(0.006, reply.receiveMessage().response().usage().costUsd(), 1e-12);
  }
}
