package io.troupe.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.Reconciliation;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolRegistryActorTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Config TROUPE = ConfigFactory.load().getConfig("troupe");
  private static final ToolContext CONTEXT = new ToolContext("intent-1", "session-1", null);

  private final TestProbe<VectorStore.Command> vectorStore = testKit.createTestProbe();
  private final TestProbe<Database.Command> database = testKit.createTestProbe();

  private ActorRef<ToolRegistry.Command> registry(List<Tool> extra) {
    ActorRef<ToolRegistry.Command> registry =
        testKit.spawn(ToolRegistryActor.create(TROUPE, vectorStore.ref(), database.ref(), extra));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    assertEquals(Lifecycle.Initialized.ok("tool-registry"), init.receiveMessage());
    return registry;
  }

  private ToolResult execute(ActorRef<ToolRegistry.Command> registry, String callId, String name, JsonNode args) {
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall(callId, name, args), CONTEXT, reply.ref()));
    return reply.receiveMessage();
  }

  /** A side-effecting tool that remembers the keys it applied, and can tell about them afterwards. */
  private static final class LedgerTool implements Tool {
    final Map<String, Integer> applied = new ConcurrentHashMap<>();
    final Set<String> unknowable = ConcurrentHashMap.newKeySet();

    @Override
    public ToolSpec spec() {
      return new ToolSpec("ledger", "records a line", Json.object().put("type", "object"));
    }

    @Override
    public Effect effect() {
      return Effect.SIDE_EFFECTING;
    }

    @Override
    public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
      applied.merge(context.idempotencyKey(), 1, Integer::sum);
      return CompletableFuture.completedFuture(Json.object().put("line", context.idempotencyKey()));
    }

    @Override
    public CompletionStage<Reconciliation> reconcile(JsonNode arguments, ToolContext context) {
      String key = context.idempotencyKey();
      Reconciliation r = unknowable.contains(key) ? Reconciliation.unknown("the ledger is offline")
          : applied.containsKey(key) ? Reconciliation.applied(Json.object().put("line", key))
          : Reconciliation.notApplied();
      return CompletableFuture.completedFuture(r);
    }
  }

  private ToolResult reconcile(ActorRef<ToolRegistry.Command> registry, String name, String key) {
    return reconcile(registry, name, key, Json.object());
  }

  private ToolResult reconcile(ActorRef<ToolRegistry.Command> registry, String name, String key, JsonNode args) {
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Reconcile(new ToolCall("c9", name, args),
        new ToolContext("intent-1", "session-1", "c9", key), reply.ref()));
    return reply.receiveMessage();
  }

  @Test
  void reconcilesASideEffectByItsIdempotencyKeyAndNeverRunsItTwice() {
    LedgerTool ledger = new LedgerTool();
    ActorRef<ToolRegistry.Command> registry = registry(List.of(ledger));
    TestProbe<ToolRegistry.ToolList> list = testKit.createTestProbe();
    registry.tell(new ToolRegistry.ListTools(list.ref()));
    assertEquals(List.of("ledger"), list.receiveMessage().sideEffecting());

    // Applied before the crash: its output, not a second run.
    ledger.applied.put("k-applied", 1);
    assertEquals("k-applied", reconcile(registry, "ledger", "k-applied").output().path("line").asText());
    assertEquals(1, ledger.applied.get("k-applied"));
    // Never applied: it runs now, once, with the same key.
    assertEquals("k-new", reconcile(registry, "ledger", "k-new").output().path("line").asText());
    assertEquals(1, ledger.applied.get("k-new"));
    // Nobody can tell: an explicit error, and no run.
    ledger.unknowable.add("k-unknown");
    ToolResult unknown = reconcile(registry, "ledger", "k-unknown");
    assertTrue(unknown.isError());
    assertTrue(unknown.error().contains("outcome of this call is unknown"), unknown.error());
    assertTrue(unknown.error().contains("the ledger is offline"), unknown.error());
    assertFalse(ledger.applied.containsKey("k-unknown"));
    // A read-only tool simply runs again.
    ToolResult calc = reconcile(registry, "calculator", "k-calc", Json.object().put("expression", "1 + 1"));
    assertEquals(2, calc.output().path("result").asInt(), String.valueOf(calc));
  }

  @Test
  void answersNotReadyBeforeInit() {
    ActorRef<ToolRegistry.Command> registry =
        testKit.spawn(ToolRegistryActor.create(TROUPE, vectorStore.ref(), database.ref()));
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(
        new ToolCall("c1", "calculator", Json.object().put("expression", "1 + 1")), CONTEXT, reply.ref()));
    ToolResult result = reply.receiveMessage();
    assertTrue(result.isError());
    assertEquals("c1", result.callId());
    assertEquals(Lifecycle.unavailable("tool-registry", null), result.error());

    // a repeated Init works
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    registry.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());
    assertTrue(init.receiveMessage().isOk());
    assertFalse(execute(registry, "c2", "calculator", Json.object().put("expression", "1 + 1")).isError());
  }

  @Test
  void listsTheBuiltInToolsWithStrictSchemas() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    TestProbe<ToolRegistry.ToolList> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.ListTools(reply.ref()));
    List<ToolSpec> tools = reply.receiveMessage().tools();
    assertEquals(List.of("calculator", "current_time", "search_documents", "sql_query", "describe_schema", "http_fetch"),
        tools.stream().map(ToolSpec::name).toList());
    for (ToolSpec spec : tools) {
      assertFalse(spec.description().isBlank());
      assertEquals("object", spec.parameters().get("type").asText());
      assertFalse(spec.parameters().get("additionalProperties").asBoolean(true), spec.name());
      spec.parameters().get("properties").forEach(p -> assertTrue(p.has("description"), spec.name()));
    }
    assertEquals("[\"expression\"]", tools.get(0).parameters().get("required").toString());
  }

  @Test
  void unknownToolNamesTheAvailableOnes() {
    ToolResult result = execute(registry(List.of()), "c1", "weather", Json.object());
    assertEquals("c1", result.callId());
    assertEquals("weather", result.name());
    assertEquals("unknown tool 'weather'; available tools: calculator, current_time, search_documents, sql_query,"
        + " describe_schema, http_fetch", result.error());
  }

  @Test
  void badArgumentsAreRejectedAndTheToolDoesNotRun() {
    TestProbe<JsonNode> invoked = testKit.createTestProbe();
    var schema = Json.object().put("type", "object").put("additionalProperties", false);
    schema.putArray("required").add("n");
    schema.putObject("properties").putObject("n").put("type", "integer").put("minimum", 1);
    FakeTool spy = new FakeTool("spy", schema, Tool.Kind.ASYNC, (args, ctx) -> {
      invoked.ref().tell(args);
      return CompletableFuture.completedFuture(Json.object());
    });
    ActorRef<ToolRegistry.Command> registry = registry(List.of(spy));

    ToolResult missing = execute(registry, "c1", "spy", Json.object());
    assertEquals("invalid arguments for 'spy': $: required property 'n' not found. Fix the arguments and call again.",
        missing.error());
    ToolResult wrong = execute(registry, "c2", "spy", Json.object().put("n", "five").put("extra", true));
    assertTrue(wrong.error().startsWith("invalid arguments for 'spy': "), wrong.error());
    assertTrue(wrong.error().contains("$.n: string found, integer expected"), wrong.error());
    assertTrue(wrong.error().contains("'extra'"), wrong.error());
    ToolResult small = execute(registry, "c3", "spy", Json.object().put("n", 0));
    assertTrue(small.error().contains("$.n: must have a minimum value of 1"), small.error());
    ToolResult notAnObject = execute(registry, "c4", "spy", TextNode.valueOf("[1, 2]"));
    assertEquals("invalid arguments for 'spy': they must be a JSON object", notAnObject.error());
    invoked.expectNoMessage();

    ToolResult ok = execute(registry, "c5", "spy", TextNode.valueOf("{\"n\": 3}")); // JSON in a string is accepted
    assertFalse(ok.isError());
    assertEquals(3, invoked.receiveMessage().get("n").asInt());

    ToolResult calc = execute(registry, "c6", "calculator", Json.object().put("expr", "1 + 1"));
    assertTrue(calc.error().contains("required property 'expression' not found"), calc.error());
  }

  @Test
  void calculatorThroughTheRegistry() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    ToolResult result = execute(registry, "call_1", "calculator", Json.object().put("expression", "17% of 2,340"));
    assertFalse(result.isError(), result.error());
    assertEquals("call_1", result.callId());
    assertEquals("{\"expression\":\"17% of 2,340\",\"result\":397.8}", result.contentForModel());
    assertEquals("{\"expression\":\"11 + 11\",\"result\":22}",
        execute(registry, "c", "calculator", Json.object().put("expression", "11 + 11")).contentForModel());
    assertEquals("{\"expression\":\"1 / 10000000\",\"result\":0.0000001}",
        execute(registry, "c", "calculator", Json.object().put("expression", "1 / 10000000")).contentForModel());

    ToolResult zero = execute(registry, "call_2", "calculator", Json.object().put("expression", "1 / 0"));
    assertEquals("division by zero", zero.error());
    assertEquals("{\"error\":\"division by zero\"}", zero.contentForModel());
  }

  @Test
  void currentTimeThroughTheRegistry() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    ToolResult paris = execute(registry, "c1", "current_time", Json.object().put("timezone", "Europe/Paris"));
    assertEquals("Europe/Paris", paris.output().get("timezone").asText());
    assertTrue(paris.output().get("iso").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0[12]:00"));
    assertTrue(execute(registry, "c2", "current_time", null).output().get("iso").asText().endsWith("Z"));
    assertTrue(execute(registry, "c3", "current_time", Json.object().put("timezone", "Nowhere/City"))
        .error().startsWith("unknown timezone 'Nowhere/City'"));
  }

  @Test
  void slowToolsRunConcurrentlyAndResultsCarryTheirCallIds() {
    TestProbe<String> started = testKit.createTestProbe();
    Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    FakeTool slow = FakeTool.async("slow", (args, ctx) -> {
      CompletableFuture<JsonNode> f = new CompletableFuture<>();
      pending.put(ctx.callId(), f);
      started.ref().tell(ctx.callId());
      return f;
    });
    ActorRef<ToolRegistry.Command> registry = registry(List.of(slow));
    TestProbe<ToolResult> replies = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall("call_1", "slow", Json.object()),
        new ToolContext("i", "s", "call_1"), replies.ref()));
    registry.tell(new ToolRegistry.Execute(new ToolCall("call_2", "slow", Json.object()),
        new ToolContext("i", "s", "call_2"), replies.ref()));

    // both started before either finished
    assertEquals(List.of("call_1", "call_2"), List.of(started.receiveMessage(), started.receiveMessage()));
    replies.expectNoMessage();

    pending.get("call_2").complete(Json.object().put("v", 2));
    ToolResult second = replies.receiveMessage();
    assertEquals("call_2", second.callId());
    assertEquals(2, second.output().get("v").asInt());
    pending.get("call_1").complete(Json.object().put("v", 1));
    ToolResult first = replies.receiveMessage();
    assertEquals("call_1", first.callId());
    assertEquals(1, first.output().get("v").asInt());
  }

  @Test
  void blockingToolsRunOnTheBlockingDispatcher() {
    FakeTool blocking = new FakeTool("blocking", FakeTool.openSchema(), Tool.Kind.BLOCKING,
        (args, ctx) -> CompletableFuture.completedFuture(Json.object().put("thread", Thread.currentThread().getName())));
    FakeTool async = FakeTool.async("async",
        (args, ctx) -> CompletableFuture.completedFuture(Json.object().put("thread", Thread.currentThread().getName())));
    ActorRef<ToolRegistry.Command> registry = registry(List.of(blocking, async));
    String blockingThread = execute(registry, "c1", "blocking", Json.object()).output().get("thread").asText();
    assertTrue(blockingThread.contains("troupe.tools.blocking-dispatcher"), blockingThread);
    String asyncThread = execute(registry, "c2", "async", Json.object()).output().get("thread").asText();
    assertFalse(asyncThread.contains("blocking-dispatcher"), asyncThread);
  }

  @Test
  void failuresBecomeErrorResults() {
    FakeTool throwing = FakeTool.async("throwing", (args, ctx) -> {
      throw new IllegalStateException("socket closed");
    });
    FakeTool failing = FakeTool.async("failing",
        (args, ctx) -> CompletableFuture.failedFuture(new ToolException("the service said no")));
    FakeTool nothing = FakeTool.async("nothing", (args, ctx) -> null);
    FakeTool nullOutput = FakeTool.async("nullOutput", (args, ctx) -> CompletableFuture.completedFuture(null));
    ActorRef<ToolRegistry.Command> registry = registry(List.of(throwing, failing, nothing, nullOutput));
    assertEquals("unexpected error (IllegalStateException): socket closed",
        execute(registry, "c1", "throwing", Json.object()).error());
    assertEquals("the service said no", execute(registry, "c2", "failing", Json.object()).error());
    assertEquals("the tool returned no result", execute(registry, "c3", "nothing", Json.object()).error());
    ToolResult empty = execute(registry, "c4", "nullOutput", Json.object());
    assertNull(empty.error());
    assertEquals("null", empty.contentForModel());
  }

  @Test
  void registerAddsAToolAtRunTime() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    TestProbe<Done> done = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Register(
        FakeTool.async("echo", (args, ctx) -> CompletableFuture.completedFuture(args)), done.ref()));
    done.receiveMessage();
    assertEquals("{\"a\":1}", execute(registry, "c1", "echo", Json.object().put("a", 1)).contentForModel());

    var broken = Json.object().put("type", 42);
    registry.tell(new ToolRegistry.Register(new FakeTool("broken", broken, Tool.Kind.ASYNC,
        (args, ctx) -> CompletableFuture.completedFuture(args)), done.ref()));
    done.receiveMessage();
    assertTrue(execute(registry, "c2", "broken", Json.object()).isError());
  }

  @Test
  void searchDocumentsAsksTheVectorStore() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    var args = Json.object().put("query", "refund policy").put("k", 3);
    args.putObject("filter").put("source", "handbook");
    registry.tell(new ToolRegistry.Execute(new ToolCall("c1", "search_documents", args), CONTEXT, reply.ref()));

    VectorStore.Search search = vectorStore.expectMessageClass(VectorStore.Search.class);
    assertEquals("refund policy", search.query());
    assertEquals(3, search.k());
    assertEquals(Map.of("source", "handbook"), search.filter());
    search.replyTo().tell(org.apache.pekko.pattern.StatusReply.success(new VectorStore.SearchResult(List.of(
        new VectorStore.Hit("doc-1", 0.875, "Refunds are paid within 14 days.", Map.of("source", "handbook"), 2, 1800, 1832)))));
    ToolResult result = reply.receiveMessage();
    assertEquals("{\"hits\":[{\"id\":\"doc-1\",\"score\":0.875,\"text\":\"Refunds are paid within 14 days.\","
        + "\"chunk\":2,\"start\":1800,\"end\":1832,\"metadata\":{\"source\":\"handbook\"}}]}", result.contentForModel());

    registry.tell(new ToolRegistry.Execute(new ToolCall("c2", "search_documents", Json.object().put("query", "x")),
        CONTEXT, reply.ref()));
    VectorStore.Search defaults = vectorStore.expectMessageClass(VectorStore.Search.class);
    assertEquals(5, defaults.k());
    assertEquals(Map.of(), defaults.filter());
    defaults.replyTo().tell(org.apache.pekko.pattern.StatusReply.error("the index is closed"));
    assertEquals("the index is closed", reply.receiveMessage().error());

    ToolResult tooMany = execute(registry, "c3", "search_documents", Json.object().put("query", "x").put("k", 50));
    assertTrue(tooMany.error().contains("$.k: must have a maximum value of 20"), tooMany.error());
    vectorStore.expectNoMessage();
  }

  @Test
  void sqlQueryAsksTheDatabaseWithLimits() {
    ActorRef<ToolRegistry.Command> registry = registry(List.of());
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall("c1", "sql_query",
        Json.object().put("sql", "SELECT id, name FROM customers").put("maxRows", 7)), CONTEXT, reply.ref()));
    Database.ReadOnlyQuery query = database.expectMessageClass(Database.ReadOnlyQuery.class);
    assertEquals("SELECT id, name FROM customers", query.sql());
    assertEquals(7, query.maxRows());
    assertEquals(java.time.Duration.ofSeconds(5), query.timeout());
    assertEquals(List.of(), query.parameters());
    query.replyTo().tell(org.apache.pekko.pattern.StatusReply.success(new Database.QueryResult(
        List.of("ID", "NAME"), List.of(List.of(1, "Ada"), List.of(2, "Grace")), true)));
    assertEquals("{\"columns\":[\"ID\",\"NAME\"],\"rows\":[[1,\"Ada\"],[2,\"Grace\"]],\"truncated\":true}",
        reply.receiveMessage().contentForModel());

    registry.tell(new ToolRegistry.Execute(new ToolCall("c2", "sql_query", Json.object().put("sql", "SELECT 1")),
        CONTEXT, reply.ref()));
    Database.ReadOnlyQuery defaults = database.expectMessageClass(Database.ReadOnlyQuery.class);
    assertEquals(100, defaults.maxRows());
    defaults.replyTo().tell(org.apache.pekko.pattern.StatusReply.error("Table \"NOPE\" not found"));
    assertEquals("Table \"NOPE\" not found", reply.receiveMessage().error());
  }

  @Test
  void withoutAVectorStoreOrDatabaseTheirToolsAreLeftOut() {
    ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(TROUPE, null, null));
    TestProbe<ToolRegistry.ToolList> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.ListTools(reply.ref()));
    assertEquals(List.of("calculator", "current_time", "http_fetch"),
        reply.receiveMessage().tools().stream().map(ToolSpec::name).toList());
  }

  @Test
  void aToolThatAnswersAtOnceTakesNoSlot() {
    // One slot and no queue: a second call arriving while the first held its slot would be refused.
    Config oneSlot = ConfigFactory.parseString("tools.defaults { max-concurrent = 1, max-queue = 0 }").withFallback(TROUPE);
    ActorRef<ToolRegistry.Command> registry =
        testKit.spawn(ToolRegistryActor.create(oneSlot, vectorStore.ref(), database.ref(), List.of()));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    init.receiveMessage();
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    for (int i = 0; i < 5; i++) {
      registry.tell(new ToolRegistry.Execute(new ToolCall("c" + i, "calculator",
          Json.object().put("expression", i + " + 1")), CONTEXT, reply.ref()));
    }
    for (int i = 0; i < 5; i++) {
      ToolResult result = reply.receiveMessage();
      assertFalse(result.isError(), result.error());
      assertEquals(i + 1, result.output().get("result").asInt());
    }
  }
}
