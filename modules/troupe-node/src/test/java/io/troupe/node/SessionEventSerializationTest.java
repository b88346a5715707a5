package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.Step;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The session's journal events survive the journal's serializer (the node's serialization.conf). */
class SessionEventSerializationTest {
  private static final ActorTestKit testKit = ActorTestKit.create("serialization",
      ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aBatchOfStepsIsOneEventAndReadsBackEqual() {
    var detail = Json.object().put("callId", "call_1").put("name", "calculator").put("ok", true);
    detail.set("arguments", Json.object().put("expression", "1+2"));
    var first = new SessionEntity.IntentProgressed("s.1", new IntentEvent(3, "tool.completed", 42L, detail),
        new Step(4, "tool", "calculator", "ok", 40L, 42L, detail, "span1", "root1"),
        IntentUsage.NONE.plusToolCall(), ChatMessage.toolResult("call_1", "calculator", "3"));
    var second = new SessionEntity.IntentProgressed("s.1", null,
        new Step(5, "verify", "tool_results", "ok", 43L, 44L, Json.object().put("calls", 1), "span2", "root1"),
        null, null);
    var batch = new SessionEntity.IntentProgressBatch(List.of(first, second));

    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    var serializer = serialization.findSerializerFor(batch);
    assertTrue(serializer.getClass().getSimpleName().contains("Cbor"), serializer.getClass().getName());
    byte[] bytes = serialization.serialize(batch).get();
    Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, batch)).get();
    assertEquals(batch, back);
  }

  @Test
  void aHistorySummaryReadsBackEqual() {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    var summarized = new SessionEntity.HistorySummarized("s.5", "The user asked about refunds.", 12L,
        new IntentUsage(30, 12, 1, 0), 99L);
    var serializer = serialization.findSerializerFor(summarized);
    assertTrue(serializer.getClass().getSimpleName().contains("Cbor"), serializer.getClass().getName());
    Object back = serialization.deserialize(serialization.serialize(summarized).get(), serializer.identifier(),
        Serializers.manifestFor(serializer, summarized)).get();
    assertEquals(summarized, back);
  }

  @Test
  void anIntentAcceptedOfTheReleaseBeforeNamedAgentsReadsAsTheDefaultAgent() throws Exception {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    var current = new SessionEntity.IntentAccepted("s.1", "hello", null, null, "0af7651916cd43dd8448eb211c80319c", 7L,
        null, null, "support");
    var serializer = serialization.findSerializerFor(current);
    String manifest = Serializers.manifestFor(serializer, current);
    var read = (SessionEntity.IntentAccepted) serialization.deserialize(serialization.serialize(current).get(),
        serializer.identifier(), manifest).get();
    assertEquals("support", read.agent(), "the agent survives the journal");
    assertEquals(current.intentId(), read.intentId());

    // The previous release wrote the event without the field: written here as it did, then read back.
    var cbor = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system().classicSystem())
        .getOrCreate("jackson-cbor", java.util.Optional.empty());
    var old = Json.object().put("intentId", "s.1").put("text", "hello").put("traceId", "0af7651916cd43dd8448eb211c80319c")
        .put("createdNanos", 7L);
    old.putNull("metadata");
    old.putNull("idempotencyKey");
    var back = (SessionEntity.IntentAccepted) serialization.deserialize(cbor.writeValueAsBytes(old),
        serializer.identifier(), manifest).get();
    assertEquals(null, back.agent());
    assertEquals("default", back.agentOrDefault());
    assertEquals("hello", back.text());
  }

  @Test
  void aHandoffAndAToolResultWithItsChildsUsageReadBackEqual() throws Exception {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    var handedOff = new SessionEntity.AgentHandedOff("s.1", "router", "billing", "call_1", 42L);
    var serializer = serialization.findSerializerFor(handedOff);
    assertTrue(serializer.getClass().getSimpleName().contains("Cbor"), serializer.getClass().getName());
    assertEquals(handedOff, serialization.deserialize(serialization.serialize(handedOff).get(), serializer.identifier(),
        Serializers.manifestFor(serializer, handedOff)).get());

    var result = io.troupe.core.tools.ToolResult.ok("call_1", "agent_billing", Json.object().put("answer", "ok"))
        .withUsage(new IntentUsage(1, 2, 3, 4)).answering(9);
    var s = serialization.findSerializerFor(result);
    assertEquals(result, serialization.deserialize(serialization.serialize(result).get(), s.identifier(),
        Serializers.manifestFor(s, result)).get());
  }

  /**
   * The release before Core v1 (v0, 187047d) wrote IntentFinished at version 1: no version in the
   * manifest, the terminal stream event inside it, no usage. Written here as it did, it replays
   * through SessionEventMigration into the current version.
   */
  @Test
  void anIntentFinishedWrittenByV0ReplaysThroughItsMigration() throws Exception {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    var current = new SessionEntity.IntentFinished("s.1", io.troupe.core.session.IntentStatus.SUCCEEDED,
        io.troupe.core.session.Outcome.answered("6"), 9L, 4L, null, List.of(ChatMessage.assistant("6")));
    var serializer = serialization.findSerializerFor(current);
    String manifest = Serializers.manifestFor(serializer, current);
    assertTrue(manifest.endsWith("#2"), "events carry their version: " + manifest);
    String v0Manifest = manifest.substring(0, manifest.indexOf('#'));

    var cbor = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system().classicSystem())
        .getOrCreate("jackson-cbor", java.util.Optional.empty());
    var v0 = Json.object().put("intentId", "s.1").put("status", "SUCCEEDED");
    v0.set("outcome", cbor.valueToTree(io.troupe.core.session.Outcome.answered("6")));
    v0.set("event", Json.object().put("seq", 4).put("type", "intent.succeeded").put("timeNanos", 9L));
    v0.set("transcript", cbor.valueToTree(List.of(ChatMessage.assistant("6"))));
    var back = (SessionEntity.IntentFinished) serialization.deserialize(cbor.writeValueAsBytes(v0),
        serializer.identifier(), v0Manifest).get();
    assertEquals(current, back);
  }
}
