package io.troupe.llm.openai;

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
import io.troupe.llm.LlmGatewayActor;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway with the real openai provider selected by config, against the fake server. */
class GatewayOverOpenAiTest {
  static final String KEY = "sk-gateway-test-0123456789";
  static final ActorTestKit testKit = ActorTestKit.create();

  FakeProviderServer fake;

  @BeforeEach
  void start() throws Exception {
    fake = FakeProviderServer.start(testKit.system());
  }

  @AfterEach
  void stop() throws Exception {
    fake.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  ActorRef<LlmGateway.Command> gateway(String extra) {
    Config troupe = ConfigFactory.parseString("troupe.llm { provider = openai, openai { base-url = \"" + fake.baseUrl()
            + "/v1\", api-key = \"" + KEY + "\", model = gpt-test } }\n" + extra)
        .withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(troupe));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    assertEquals(Lifecycle.Initialized.ok(LlmGatewayActor.NAME), init.receiveMessage());
    return gateway;
  }

  static String chunk(String delta, String finish) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
  }

  @Test
  void streamedDeltasReachDeltaToAndTheTurnComesBack() {
    ActorRef<LlmGateway.Command> gateway = gateway("");
    fake.enqueue(Reply.sse(List.of(chunk("{\"content\":\"Hello\"}", null), chunk("{\"content\":\" there\"}", null),
        chunk("{}", "stop"), "data: [DONE]\n\n")));
    TestProbe<ChatDelta> deltas = testKit.createTestProbe();
    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();

    gateway.tell(new LlmGateway.Chat(new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, true), deltas.ref(), reply.ref()));

    LlmGateway.ChatResult result = reply.receiveMessage();
    assertTrue(result.isOk(), String.valueOf(result.failure()));
    assertEquals("Hello there", result.response().message().content());
    assertEquals("Hello", deltas.receiveMessage().text());
    assertEquals(" there", deltas.receiveMessage().text());
    assertEquals(1, fake.requestCount());
  }

  @Test
  void anAuthenticationFailureIsTypedAndHidesTheKey() {
    ActorRef<LlmGateway.Command> gateway = gateway("");
    fake.always(Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
    TestProbe<LlmGateway.ChatResult> reply = testKit.createTestProbe();

    gateway.tell(new LlmGateway.Chat(new ChatRequest(null, List.of(ChatMessage.user("hi")), List.of(), 0, false), null, reply.ref()));

    LlmGateway.ChatResult result = reply.receiveMessage();
    assertEquals(LlmFailure.Code.AUTHENTICATION, result.failure().code());
    assertFalse(result.failure().message().contains(KEY), result.failure().message());
    assertEquals(1, fake.requestCount()); // a 401 is not retried
  }

  @Test
  void withoutAKeyInitFailsWithAClearReason() {
    Config troupe = ConfigFactory.parseString("troupe.llm { provider = openai, openai.api-key = \"\" }")
        .withFallback(ConfigFactory.load()).resolve().getConfig("troupe");
    ActorRef<LlmGateway.Command> gateway = testKit.spawn(LlmGatewayActor.create(troupe));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    gateway.tell(new Lifecycle.Init(init.ref()));
    Lifecycle.Initialized failed = init.receiveMessage();
    assertTrue(failed.error().contains("OPENAI_API_KEY"), failed.error());
  }
}
