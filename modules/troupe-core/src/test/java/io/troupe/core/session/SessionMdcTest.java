package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.Usage;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/** Log lines about an intent carry its ids in the MDC: tenant, session, intent, trace and span. */
@ExtendWith(TestKitJUnit5Extension.class)
class SessionMdcTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemoryJournal());

  /** Keeps each event with the MDC of the thread that logged it. */
  static final class Captured extends AppenderBase<ILoggingEvent> {
    final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent e) {
      e.prepareForDeferredProcessing();
      events.add(e);
    }

    List<ILoggingEvent> matching(String text) {
      return events.stream().filter(e -> e.getFormattedMessage().contains(text)).toList();
    }
  }

  private final Captured captured = new Captured();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void capture() {
    captured.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
    captured.start();
    root.addAppender(captured);
  }

  @AfterEach
  void release() {
    root.detachAppender(captured);
  }

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();

  private ActorRef<SessionEntity.Command> session(String sessionId) {
    var troupe = ConfigFactory.load().getConfig("troupe");
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
    return testKit.spawn(SessionEntity.create(sessionId, guardrail, SessionSettings.fromConfig(troupe)));
  }

  @Test
  void theLinesOfAResumedIntentNameItsTenantSessionIntentTraceAndSpan() {
    String sessionId = "acme~s-" + UUID.randomUUID().toString().substring(0, 8);
    var session = session(sessionId);
    TestProbe<StatusReply<IntentView>> accepted = testKit.createTestProbe();
    session.tell(new SessionEntity.Submit("Say hello", null, null, accepted.getRef()));
    IntentView intent = accepted.receiveMessage().getValue();
    llm.expectMessageClass(LlmGateway.Chat.class);
    testKit.stop(session);
    llm.expectMessageClass(LlmGateway.CancelChat.class);

    var revived = session(sessionId);
    var chat = llm.expectMessageClass(LlmGateway.Chat.class, Duration.ofSeconds(5));
    chat.replyTo().tell(LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant("hello"), new Usage(1, 1),
        FinishReason.STOP, "m", "p")).answering(chat.corr()));
    TestProbe<StatusReply<IntentView>> done = testKit.createTestProbe();
    revived.tell(new SessionEntity.AwaitTerminal(intent.id(), done.getRef()));
    assertEquals(IntentStatus.SUCCEEDED, done.receiveMessage(Duration.ofSeconds(5)).getValue().status());

    List<ILoggingEvent> lines = captured.matching("was running when its node stopped; resuming it");
    assertEquals(1, lines.size(), captured.events.toString());
    Map<String, String> mdc = lines.get(0).getMDCPropertyMap();
    assertEquals("acme", mdc.get(IntentMdc.TENANT));
    assertEquals(sessionId, mdc.get(IntentMdc.SESSION_ID));
    assertEquals(intent.id(), mdc.get(IntentMdc.INTENT_ID));
    assertEquals(intent.traceId(), mdc.get(IntentMdc.TRACE_ID));
    assertEquals(32, intent.traceId().length());
    assertEquals(intent.traceId().substring(0, 16), mdc.get(IntentMdc.SPAN_ID));
  }

  /**
   * A behavior that logs each message it gets, with whatever MDC its thread has then; "run" starts
   * an intent and "end" ends it, inside the actor as the session does.
   */
  private static Behavior<String> talker(IntentMdc mdc) {
    return Behaviors.setup(ctx -> Behaviors.receiveMessage(m -> {
      if (m.equals("run")) mdc.running("s-1.1", "0123456789abcdef0123456789abcdef");
      if (m.equals("end")) mdc.idle();
      ctx.getLog().info("talker says {}", m);
      return Behaviors.same();
    }));
  }

  @Test
  void whileAnIntentRunsEveryMessageCarriesItsIdsAndNoneOnceItEnds() {
    IntentMdc mdc = new IntentMdc("s-1");
    ActorRef<String> talker = testKit.spawn(mdc.around(talker(mdc)));
    TestProbe<Object> sync = testKit.createTestProbe();

    List.of("before", "run", "during", "end", "after").forEach(talker::tell);
    sync.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(5, captured.matching("talker says").size());
      return null;
    });
    assertEquals("s-1.1", captured.matching("talker says run").get(0).getMDCPropertyMap().get(IntentMdc.INTENT_ID));
    assertNull(captured.matching("talker says end").get(0).getMDCPropertyMap().get(IntentMdc.INTENT_ID));

    Map<String, String> before = captured.matching("talker says before").get(0).getMDCPropertyMap();
    assertEquals("", before.get(IntentMdc.TENANT)); // the implicit tenant when auth is off
    assertEquals("s-1", before.get(IntentMdc.SESSION_ID));
    assertNull(before.get(IntentMdc.INTENT_ID));
    Map<String, String> during = captured.matching("talker says during").get(0).getMDCPropertyMap();
    assertEquals("s-1.1", during.get(IntentMdc.INTENT_ID));
    assertEquals("0123456789abcdef0123456789abcdef", during.get(IntentMdc.TRACE_ID));
    assertEquals("0123456789abcdef", during.get(IntentMdc.SPAN_ID));
    Map<String, String> after = captured.matching("talker says after").get(0).getMDCPropertyMap();
    assertFalse(after.containsKey(IntentMdc.INTENT_ID) || after.containsKey(IntentMdc.TRACE_ID), after.toString());
    assertTrue(after.containsKey(IntentMdc.SESSION_ID));
  }

  @Test
  void theTenantIsThePrefixOfAQualifiedSessionId() {
    assertEquals("acme", IntentMdc.tenantOf("acme~orders-1"));
    assertEquals("", IntentMdc.tenantOf("orders-1"));
    assertEquals("", IntentMdc.tenantOf(null));
  }
}
