package io.troupe.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.TestConfigs;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionSettings;
import io.troupe.core.session.Step;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceParent;
import io.troupe.core.trace.TraceStore;
import io.troupe.core.vector.VectorStore;
import io.troupe.metrics.TroupeMetrics;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An intent run by a real session and guardrail, against scripted model and tool probes, exported
 * over OTLP/HTTP to a real receiver on loopback that decodes the protobuf.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class OtelExportTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseString("troupe.telemetry.export-queue = 4").withFallback(TestConfigs.inMemoryJournal()));

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();

  private ActorRef<SessionEntity.Command> session() {
    var troupe = ConfigFactory.load().getConfig("troupe");
    ToolCatalogs catalogs = ToolCatalogs.get(testKit.system());
    if (catalogs.current().version() == 0) {
      catalogs.publish(List.of(new ToolSpec("calculator", "arithmetic", Json.object()),
              new ToolSpec("current_time", "time", Json.object())),
          Map.of("calculator", Tool.Effect.READ_ONLY, "current_time", Tool.Effect.READ_ONLY));
    }
    var guardrail = testKit.spawn(Guardrail.create(GuardrailSettings.fromConfig(troupe),
        new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
    return testKit.spawn(SessionEntity.create("s-" + UUID.randomUUID().toString().substring(0, 8), guardrail,
        SessionSettings.fromConfig(troupe)));
  }

  private static void reply(LlmGateway.Chat chat, ChatMessage message, FinishReason reason, Usage usage) {
    chat.replyTo().tell(LlmGateway.ChatResult.ok(new ChatResponse(message, usage, reason, "scripted-1", "test"))
        .answering(chat.corr()));
  }

  /** The traceparent headers of the model calls of the last {@link #runTwoToolIntent}, in order. */
  private final List<String> modelTraceparents = new java.util.ArrayList<>();

  /** Two tool calls at once (one with a secret in its arguments), then the answer. */
  private IntentView runTwoToolIntent() {
    TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
    session().tell(new SessionEntity.SubmitAndWait("What is 2 + 2 and what time is it?", null, null, probe.getRef()));
    var first = llm.expectMessageClass(LlmGateway.Chat.class);
    modelTraceparents.add(first.request().traceparent());
    reply(first, ChatMessage.assistantToolCalls("", List.of(
            new ToolCall("call_1", "calculator", Json.parse("{\"expression\":\"2+2\",\"api_key\":\"sk-live-0123456789abcdef\"}")),
            new ToolCall("call_2", "current_time", Json.parse("{}")))),
        FinishReason.TOOL_CALLS, new Usage(10, 5, 0.002));
    var exec1 = tools.expectMessageClass(ToolRegistry.Execute.class);
    var exec2 = tools.expectMessageClass(ToolRegistry.Execute.class);
    exec1.reply(ToolResult.ok("call_1", "calculator", Json.object().put("result", 4)));
    exec2.reply(ToolResult.failed("call_2", "current_time", "no clock"));
    var second = llm.expectMessageClass(LlmGateway.Chat.class);
    modelTraceparents.add(second.request().traceparent());
    reply(second, ChatMessage.assistant("4, and the clock is out."), FinishReason.STOP, new Usage(20, 7));
    IntentView done = probe.receiveMessage(Duration.ofSeconds(10)).getValue();
    assertEquals(IntentStatus.SUCCEEDED, done.status());
    return done;
  }

  @Test
  void everySpanOfAnIntentReachesTheCollectorWithTroupesIdsItsTreeAndTheGenAiAttributes() throws Exception {
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      OtelExport export = OtelExport.start(testKit.system(), Map.of("otel.exporter.otlp.endpoint", receiver.endpoint()));
      try {
        assertTrue(export.enabled());
        IntentView done = runTwoToolIntent();
        StoredIntent stored = TraceStore.get(testKit.system()).finishedInMemory(done.id()).orElseThrow();
        List<Step> steps = stored.view().steps();
        List<OtlpReceiver.Received> spans = receiver.awaitSpans(got -> got.size() >= steps.size() + 1, Duration.ofSeconds(20));
        assertEquals(steps.size() + 1, spans.size(), OtlpReceiver.names(spans).toString());

        // One trace, Troupe's: the trace id the intent resource shows, the root span the logs show.
        String traceId = done.traceId();
        assertTrue(spans.stream().allMatch(s -> s.traceId().equals(traceId)));
        List<OtlpReceiver.Received> roots = spans.stream().filter(s -> s.parentSpanId().isEmpty()).toList();
        assertEquals(1, roots.size());
        OtlpReceiver.Received root = roots.get(0);
        assertEquals("intent", root.name());
        assertEquals(traceId.substring(0, 16), root.spanId());
        assertEquals(done.id(), root.string("troupe.intent.id"));
        assertEquals("succeeded", root.string("troupe.intent.status"));
        assertEquals(30L, root.number("gen_ai.usage.input_tokens"));
        assertEquals(12L, root.number("gen_ai.usage.output_tokens"));
        assertEquals("troupe", root.resourceString("service.name"));

        // Each step is a span with its recorded id, under its recorded parent, with its times.
        Map<String, OtlpReceiver.Received> bySpanId = spans.stream()
            .collect(Collectors.toMap(OtlpReceiver.Received::spanId, s -> s));
        for (Step step : steps) {
          OtlpReceiver.Received span = bySpanId.get(step.spanId());
          assertNotNull(span, "no span for step " + step.seq() + " " + step.kind());
          assertEquals(step.parentSpanId(), span.parentSpanId());
          assertTrue(bySpanId.containsKey(span.parentSpanId()), "the parent of " + span.name() + " was not exported");
          assertEquals(step.startNanos(), span.span().getStartTimeUnixNano());
          assertEquals(step.endNanos(), span.span().getEndTimeUnixNano());
          assertEquals(step.kind(), span.string("troupe.step.kind"));
        }

        List<OtlpReceiver.Received> models = spans.stream().filter(s -> "chat".equals(s.string("gen_ai.operation.name"))).toList();
        assertEquals(2, models.size());
        for (OtlpReceiver.Received m : models) {
          assertEquals("chat scripted-1", m.name());
          assertEquals("test", m.string("gen_ai.provider.name"));
          assertEquals("scripted-1", m.string("gen_ai.request.model"));
          assertEquals(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT, m.span().getKind());
        }
        assertEquals(Set.of(10L, 20L), models.stream().map(m -> m.number("gen_ai.usage.input_tokens")).collect(Collectors.toSet()));
        assertEquals(Set.of(5L, 7L), models.stream().map(m -> m.number("gen_ai.usage.output_tokens")).collect(Collectors.toSet()));
        // The provider's request carried the model call's own span: what the provider traces hangs under it.
        assertEquals(models.stream().map(m -> "00-" + traceId + "-" + m.spanId() + "-01").collect(Collectors.toSet()),
            Set.copyOf(modelTraceparents));

        OtlpReceiver.Received calculator = single(spans, "execute_tool calculator");
        assertEquals("execute_tool", calculator.string("gen_ai.operation.name"));
        assertEquals("calculator", calculator.string("gen_ai.tool.name"));
        assertEquals("call_1", calculator.string("gen_ai.tool.call.id"));
        OtlpReceiver.Received clock = single(spans, "execute_tool current_time");
        assertEquals("call_2", clock.string("gen_ai.tool.call.id"));
        assertEquals(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR, clock.span().getStatus().getCode());
        assertEquals("tool_error", clock.string("error.type"));

        OtlpReceiver.Received verdict = single(spans, "guardrail tool_call calculator");
        // The verdict as recorded: a rewrite, since the redaction policy takes the key out of the arguments.
        Step recorded = steps.stream().filter(st -> st.spanId().equals(verdict.spanId())).findFirst().orElseThrow();
        assertEquals(recorded.detail().get("verdict").asText(), verdict.string("troupe.guardrail.verdict"));
        assertEquals("call_1", verdict.string("gen_ai.tool.call.id"));
        single(spans, "guardrail intent");
        single(spans, "guardrail answer");

        // Content is off by default: no texts, arguments or results, and so no secret.
        for (OtlpReceiver.Received s : spans) {
          assertNull(s.attribute("gen_ai.tool.call.arguments"));
          assertNull(s.attribute("gen_ai.tool.call.result"));
          assertNull(s.attribute("gen_ai.input.messages"));
          assertNull(s.attribute("gen_ai.output.messages"));
          assertFalse(s.span().toString().contains("sk-live-0123456789abcdef"));
        }
        assertEquals(0, export.droppedSpans());
      } finally {
        export.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void anIntentSubmittedWithATraceparentJoinsTheCallersTrace() throws Exception {
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      OtelExport export = OtelExport.start(testKit.system(), Map.of("otel.exporter.otlp.endpoint", receiver.endpoint()));
      try {
        TraceParent caller = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").orElseThrow();
        TestProbe<StatusReply<IntentView>> probe = testKit.createTestProbe();
        session().tell(new SessionEntity.SubmitAndWait("Say hello", null, null, probe.getRef(), caller));
        reply(llm.expectMessageClass(LlmGateway.Chat.class), ChatMessage.assistant("Hello."), FinishReason.STOP,
            new Usage(3, 2));
        IntentView done = probe.receiveMessage(Duration.ofSeconds(10)).getValue();
        assertEquals(caller.traceId(), done.traceId());

        StoredIntent stored = TraceStore.get(testKit.system()).finishedInMemory(done.id()).orElseThrow();
        int expected = stored.view().steps().size() + 1;
        List<OtlpReceiver.Received> spans = receiver.awaitSpans(got -> got.size() >= expected, Duration.ofSeconds(20));
        OtlpReceiver.Received root = single(spans, "intent");
        assertEquals(caller.traceId(), root.traceId());
        assertEquals(caller.parentSpanId(), root.parentSpanId());
        // The root's own id, not one derived from the shared trace id; the steps hang under it.
        assertFalse(root.spanId().equals(caller.traceId().substring(0, 16)));
        for (OtlpReceiver.Received s : spans) {
          assertEquals(caller.traceId(), s.traceId());
          if (s != root) assertEquals(root.spanId(), s.parentSpanId(), s.name());
        }
      } finally {
        export.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aCollectorThatIsDownCostsBoundedMemoryNoIntentsAndItsSpansAreCounted() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    OtelExport export = OtelExport.start(testKit.system(), Map.of(
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + closedPort,
        "otel.exporter.otlp.timeout", "200",
        "otel.java.exporter.otlp.retry.disabled", "true"));
    try {
      assertTrue(export.enabled());
      // An intent still succeeds while nothing takes its spans.
      IntentView done = runTwoToolIntent();
      StoredIntent stored = TraceStore.get(testKit.system()).finishedInMemory(done.id()).orElseThrow();
      int spansPerIntent = stored.view().steps().size() + 1;
      // Many more intents than the queue holds (4): the offers return at once, the rest is dropped and counted.
      long before = System.nanoTime();
      for (int i = 0; i < 200; i++) export.offer(stored);
      assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(2), "offering blocked");
      // The feeding thread may move some into the batch processor meanwhile: most, not all but 5, are dropped.
      assertTrue(export.droppedSpans() >= (long) 100 * spansPerIntent,
          "dropped " + export.droppedSpans() + " spans of " + 201 * spansPerIntent);
      assertEquals(0, export.exportedSpans());
    } finally {
      export.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    // What the thread held when it closed failed to export, or was dropped: everything is counted.
    assertEquals(0, export.exportedSpans());
    assertTrue(export.droppedSpans() > 0);
  }

  @Test
  void droppedSpansShowInTheNodesMetrics() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    OtelExport export = OtelExport.start(testKit.system(), Map.of(
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + closedPort));
    try {
      StoredIntent stored = new StoredIntent(new IntentView("i-1", "s-1", IntentStatus.SUCCEEDED, "hi", null, 1, 2, null,
          List.of(), null, io.troupe.core.trace.Ids.traceId()), List.of());
      for (int i = 0; i < 50; i++) export.offer(stored);
      String scrape = TroupeMetrics.get(testKit.system()).scrape();
      assertTrue(scrape.contains("troupe_otel_spans_dropped_total"), scrape);
    } finally {
      export.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void withNoEndpointTheExportIsOffAndStartsNothing() {
    OtelExport export = OtelExport.start(testKit.system(), Map.of());
    assertFalse(export.enabled());
    assertNull(export.tracerProvider());
    assertFalse(OtelExport.enabled(Map.of()));
    assertTrue(OtelExport.enabled(Map.of("otel.exporter.otlp.traces.endpoint", "http://collector:4318/v1/traces")));
    assertFalse(OtelExport.enabled(Map.of("otel.exporter.otlp.endpoint", "http://collector:4318", "otel.sdk.disabled", "true")));
    assertFalse(OtelExport.enabled(Map.of("otel.exporter.otlp.endpoint", "http://collector:4318", "otel.traces.exporter", "none")));
    assertEquals("http://c:4318", OtelExport.effectiveProperties(Map.of(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        new java.util.Properties()).get("otel.exporter.otlp.endpoint"));
  }

  private static OtlpReceiver.Received single(List<OtlpReceiver.Received> spans, String name) {
    List<OtlpReceiver.Received> named = spans.stream().filter(s -> s.name().equals(name)).toList();
    assertEquals(1, named.size(), name + " in " + OtlpReceiver.names(spans));
    return named.get(0);
  }
}
