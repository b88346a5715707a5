package io.troupe.tools.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalog;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.tools.ToolRegistryActor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolsApiTest {
  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  enum Unit { C, F }

  record Point(double x, double y, Optional<String> label) {}

  public static final class Weather {
    @TroupeTool(description = "Current temperature of a city", maxConcurrent = 3, timeoutMs = 1500)
    public Map<String, Object> temperature(
        @Param(description = "City name") String city,
        @Param(description = "Unit", required = false) Unit unit,
        Optional<Integer> days,
        ToolContext context) {
      return Map.of("city", city, "unit", unit == null ? "C" : unit.name(), "days", days.orElse(1), "call", context.callId());
    }

    @TroupeTool(name = "sum_points", description = "Adds points", effect = Tool.Effect.IDEMPOTENT, blocking = true)
    public CompletionStage<Point> sum(List<Point> points, Map<String, Boolean> options, long[] ids, boolean flag) {
      double x = 0;
      double y = 0;
      for (Point p : points) {
        x += p.x();
        y += p.y();
      }
      return CompletableFuture.completedFuture(new Point(x, y, Optional.of(Thread.currentThread().getName())));
    }
  }

  @Test
  void annotationsGenerateTheSchema() {
    List<LimitedTool> tools = Tools.fromObject(new Weather());
    assertEquals(2, tools.size());
    LimitedTool sum = tools.get(0);
    LimitedTool temperature = tools.get(1);
    assertEquals("sum_points", sum.spec().name());
    assertEquals(Tool.Effect.IDEMPOTENT, sum.effect());
    assertEquals(Tool.Kind.BLOCKING, sum.kind());
    assertEquals(Json.parse("""
        {"type":"object","properties":{
          "points":{"type":"array","items":{"type":"object","properties":{
             "x":{"type":"number"},"y":{"type":"number"},"label":{"type":"string"}},
             "required":["x","y"],"additionalProperties":false}},
          "options":{"type":"object","additionalProperties":{"type":"boolean"}},
          "ids":{"type":"array","items":{"type":"integer"}},
          "flag":{"type":"boolean"}},
         "required":["points","options","ids","flag"],"additionalProperties":false}"""), sum.spec().parameters());

    assertEquals("temperature", temperature.spec().name());
    assertEquals("Current temperature of a city", temperature.spec().description());
    assertEquals(Tool.Effect.READ_ONLY, temperature.effect());
    assertEquals(Tool.Kind.ASYNC, temperature.kind());
    assertEquals(new ToolLimits(Duration.ofMillis(1500), 3, -1), temperature.limits());
    assertEquals(Json.parse("""
        {"type":"object","properties":{
          "city":{"type":"string","description":"City name"},
          "unit":{"type":"string","enum":["C","F"],"description":"Unit"},
          "days":{"type":"integer"}},
         "required":["city"],"additionalProperties":false}"""), temperature.spec().parameters());
  }

  @Test
  void theBuilderGeneratesTheSchema() {
    LimitedTool tool = Tools.builder("greet").description("Greets")
        .param("name", ParamType.STRING, "Who", true)
        .param("times", ParamType.INTEGER, "", false)
        .enumParam("tone", "How", false, "warm", "dry")
        .effect(Tool.Effect.SIDE_EFFECTING).timeout(Duration.ofSeconds(2)).maxConcurrent(1).maxQueue(0)
        .handler((args, ctx) -> CompletableFuture.completedFuture(TextNode.valueOf("hi " + args.get("name").asText())))
        .build();
    assertEquals(Json.parse("""
        {"type":"object","properties":{
          "name":{"type":"string","description":"Who"},
          "times":{"type":"integer"},
          "tone":{"type":"string","enum":["warm","dry"],"description":"How"}},
         "required":["name"],"additionalProperties":false}"""), tool.spec().parameters());
    assertEquals(Tool.Effect.SIDE_EFFECTING, tool.effect());
    assertEquals(new ToolLimits(Duration.ofSeconds(2), 1, 0), tool.limits());
    assertThrows(IllegalArgumentException.class, () -> Tools.builder("bad name"));
    assertThrows(IllegalStateException.class, () -> Tools.builder("x").build());
    assertThrows(IllegalArgumentException.class, () -> Tools.schemaOf(Thread.class));
    assertThrows(IllegalArgumentException.class, () -> Tools.fromObject(new Object()));
  }

  private ActorRef<ToolRegistry.Command> registry(List<? extends Tool> tools) {
    var troupe = ConfigFactory.parseString("troupe.tools.http-fetch.enabled = false")
        .withFallback(ConfigFactory.load()).getConfig("troupe");
    ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(troupe, null, null, tools));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());
    return registry;
  }

  private ToolResult call(ActorRef<ToolRegistry.Command> registry, String name, String args) {
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall("c1", name, Json.parse(args)), new ToolContext("i", "s", "c1"), reply.ref()));
    return reply.receiveMessage(Duration.ofSeconds(10));
  }

  @Test
  void annotatedToolsRunThroughTheRegistryOnGoodAndBadArguments() {
    var registry = registry(Tools.fromObject(new Weather()));
    ToolResult ok = call(registry, "temperature", "{\"city\":\"Oslo\",\"unit\":\"F\",\"days\":3}");
    assertNull(ok.error());
    assertEquals(Json.parse("{\"city\":\"Oslo\",\"unit\":\"F\",\"days\":3,\"call\":\"c1\"}"), ok.output());
    ToolResult defaults = call(registry, "temperature", "{\"city\":\"Oslo\"}");
    assertEquals("C", defaults.output().get("unit").asText());

    ToolResult missing = call(registry, "temperature", "{\"unit\":\"K\"}");
    assertTrue(missing.error().startsWith("invalid arguments for 'temperature'"), missing.error());
    assertTrue(missing.error().contains("city"), missing.error());
    assertTrue(missing.error().contains("unit"), missing.error());
    ToolResult extra = call(registry, "temperature", "{\"city\":\"Oslo\",\"zip\":1}");
    assertTrue(extra.error().contains("zip"), extra.error());

    // blocking: runs on the tools' blocking dispatcher
    ToolResult sum = call(registry, "sum_points",
        "{\"points\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4,\"label\":\"p\"}],\"options\":{},\"ids\":[1],\"flag\":true}");
    assertNull(sum.error());
    assertEquals(4.0, sum.output().get("x").asDouble());
    assertTrue(sum.output().get("label").asText().contains("troupe.tools.blocking-dispatcher"), sum.output().toString());
    ToolResult badSum = call(registry, "sum_points", "{\"points\":[{\"x\":\"one\",\"y\":2}],\"options\":{},\"ids\":[],\"flag\":true}");
    assertTrue(badSum.error().startsWith("invalid arguments for 'sum_points'"), badSum.error());
  }

  @Test
  void aFullBulkheadGivesAnErrorAndFreesUpWhenCallsFinish() {
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    TestProbe<String> started = testKit.createTestProbe();
    LimitedTool slow = Tools.builder("slow").description("waits").maxConcurrent(1).maxQueue(1)
        .timeout(Duration.ofSeconds(20))
        .handler((args, ctx) -> {
          started.ref().tell(ctx.callId());
          return gate;
        }).build();
    var registry = registry(List.of(slow));
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    for (String id : List.of("a", "b", "c")) {
      registry.tell(new ToolRegistry.Execute(new ToolCall(id, "slow", Json.object()), new ToolContext("i", "s", id), reply.ref()));
    }
    assertEquals("a", started.receiveMessage());
    ToolResult rejected = reply.receiveMessage();
    assertEquals("c", rejected.callId());
    assertEquals("the tool 'slow' is busy: 1 calls running and 1 waiting, the most it takes; try again later or do without it",
        rejected.error());
    started.expectNoMessage(Duration.ofMillis(100)); // b waits for a's slot
    gate.complete(TextNode.valueOf("done"));
    assertEquals("b", started.receiveMessage());
    List<ToolResult> results = reply.receiveSeveralMessages(2);
    assertTrue(results.stream().allMatch(r -> r.error() == null && r.output().asText().equals("done")));
  }

  /** Named in config: a class with @TroupeTool methods. */
  public static final class ConfiguredTools {
    @TroupeTool(description = "Doubles a number")
    public long twice(long n) {
      return 2 * n;
    }
  }

  @Test
  void toolClassesNamedInConfigAreRegisteredAtStartUp() {
    var troupe = ConfigFactory.parseString("troupe.tools.http-fetch.enabled = false\n"
            + "troupe.tools.classes = [\"" + ConfiguredTools.class.getName() + "\"]")
        .withFallback(ConfigFactory.load()).getConfig("troupe");
    ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(troupe, null, null, List.of()));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage().isOk());
    assertEquals(42, call(registry, "twice", "{\"n\":21}").output().asLong());
    assertTrue(call(registry, "twice", "{\"n\":\"x\"}").error().startsWith("invalid arguments for 'twice'"));
  }

  @Test
  void aToolsOwnTimeoutApplies() {
    LimitedTool stuck = Tools.builder("stuck").description("never ends").timeout(Duration.ofMillis(200))
        .handler((args, ctx) -> new CompletableFuture<>()).build();
    var registry = registry(List.of(stuck));
    ToolResult r = call(registry, "stuck", "{}");
    assertEquals("the tool 'stuck' timed out after 200 ms", r.error());
  }

  @Test
  void toolsRegisteredAtRunTimeAreListedWithTheirFlags() {
    var registry = registry(List.of());
    TestProbe<Done> done = testKit.createTestProbe();
    LimitedTool echo = Tools.builder("echo").description("Echoes").param("text", ParamType.STRING, "", true)
        .blocking(true).effect(Tool.Effect.IDEMPOTENT).maxConcurrent(4)
        .handler((args, ctx) -> CompletableFuture.completedFuture(args.get("text"))).build();
    registry.tell(new ToolRegistry.Register(echo, done.ref()));
    done.receiveMessage();
    TestProbe<ToolCatalog.Catalog> list = testKit.createTestProbe();
    registry.tell(new ToolCatalog.Describe(list.ref()));
    ToolCatalog.Catalog tools = list.receiveMessage();
    ToolCatalog.ToolInfo info = tools.details().stream().filter(d -> d.name().equals("echo")).findFirst().orElseThrow();
    assertEquals(new ToolCatalog.ToolInfo("echo", Tool.Effect.IDEMPOTENT, true, 30000, 4, "java"), info);
    ToolCatalog.ToolInfo calc = tools.details().stream().filter(d -> d.name().equals("calculator")).findFirst().orElseThrow();
    assertEquals("builtin", calc.source());
    assertEquals(tools.tools().size(), tools.details().size());
    assertEquals("hello", call(registry, "echo", "{\"text\":\"hello\"}").output().asText());
  }
}
