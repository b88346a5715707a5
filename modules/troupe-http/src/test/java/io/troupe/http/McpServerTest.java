package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.http.security.ApiKeys;
import io.troupe.http.security.SecuritySettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The node as an MCP server: the MCP Java SDK's own client talks to /mcp over streamable HTTP,
 * against a real guardrail (allow-list: calculator) in front of a fake registry, and fake sessions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpServerTest {
  static final String WRITER_KEY = "acme-mcp-writer-0001";
  static final String READER_KEY = "acme-mcp-reader-0002";
  static final String README_INTENT = "What is 17% of 2,340 and what time is it in UTC?";

  private final Config config = ConfigFactory.parseString("""
      troupe.mcp.server.enabled = on
      troupe.guardrail.tool-allow-list = [calculator]
      """).withFallback(ConfigFactory.load());
  private final ActorTestKit testKit = ActorTestKit.create("mcp-server-test", config);
  private final ActorTestKit offKit = ActorTestKit.create("mcp-off-test", ConfigFactory.load());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, ActorRef<SessionEntity.Command>> sessions = new ConcurrentHashMap<>();
  /** What the fake registry was asked to run, by tool name. */
  private final List<String> executed = new CopyOnWriteArrayList<>();
  private String authBase;
  private String openBase;
  private String offBase;
  private String notReadyBase;

  @BeforeAll
  void bind() throws Exception {
    agentSessions = testKit.createTestProbe();
    io.troupe.core.agent.Agents.get(testKit.system()).define(
        io.troupe.core.agent.AgentSpec.builder("billing").description("Answers questions about invoices").build());
    ToolCatalogs.get(testKit.system()).publish(
        List.of(new ToolSpec("calculator", "Evaluates arithmetic", Json.parse(
                "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},\"required\":[\"expression\"]}")),
            new ToolSpec("files_write", "Writes a file", Json.parse("{\"type\":\"object\"}"))),
        Map.of("calculator", Tool.Effect.READ_ONLY, "files_write", Tool.Effect.SIDE_EFFECTING));
    String keys = "acme:" + IngressSecurityTest.sha256(WRITER_KEY) + ":intents.write+intents.read,"
        + "acme:" + IngressSecurityTest.sha256(READER_KEY) + ":intents.read";
    authBase = start(testKit, new SecuritySettings(true, ApiKeys.parse(keys), 0, 0, 5, SecuritySettings.Tls.OFF, List.of()), true);
    openBase = start(testKit, SecuritySettings.open(), true);
    offBase = start(offKit, SecuritySettings.open(), true);
    notReadyBase = start(testKit, SecuritySettings.open(), false);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
    offKit.shutdownTestKit();
  }

  private String start(ActorTestKit kit, SecuritySettings security, boolean databaseReady) throws Exception {
    var tools = kit.spawn(registry());
    var guardrail = kit.spawn(Guardrail.create(
        GuardrailSettings.fromConfig(kit.system().settings().config().getConfig("troupe")),
        new Guardrail.Targets(null, tools, null)));
    Backends backends = new Backends(id -> session(kit, id), kit.spawn(Fakes.supervisor(Fakes.readiness(databaseReady))),
        tools, null, null, guardrail);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    kit.spawn(HttpIngress.create(backends, IngressSecurityTest.httpSettings(), security, () -> 0, bound));
    return "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  private RecipientRef<SessionEntity.Command> session(ActorTestKit kit, String id) {
    if (id.startsWith("agent-probe")) return agentSessions.getRef();
    return sessions.computeIfAbsent(id, k -> kit.spawn(FakeSession.create(k)));
  }

  /** Sessions whose id starts with agent-probe: the test answers them itself. */
  private TestProbe<SessionEntity.Command> agentSessions;

  @Test
  void everyAgentIsAToolOfItsOwnAndItsCallsRunOnThatAgent() throws Exception {
    try (McpSyncClient mcp = client(openBase, null)) {
      mcp.initialize();
      var tools = mcp.listTools().tools();
      List<String> names = tools.stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.contains("troupe_agent_default") && names.contains("troupe_agent_billing"), names.toString());
      String described = tools.stream().filter(t -> t.name().equals("troupe_agent_billing")).findFirst().orElseThrow()
          .description();
      assertTrue(described.startsWith("Answers questions about invoices"), described);

      CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> mcp.callTool(
          new McpSchema.CallToolRequest("troupe_agent_billing", Map.of("text", "Where is my invoice?",
              "sessionId", "agent-probe-1"))));
      var submitted = agentSessions.expectMessageClass(SessionEntity.SubmitAndWait.class, Duration.ofSeconds(10));
      assertEquals("billing", submitted.agent());
      submitted.replyTo().tell(org.apache.pekko.pattern.StatusReply.success(new io.troupe.core.session.IntentView(
          "agent-probe-1.1", "agent-probe-1", io.troupe.core.session.IntentStatus.SUCCEEDED, submitted.text(), null, 1, 2,
          io.troupe.core.session.Outcome.answered("On the Billing page."), List.of(),
          io.troupe.core.session.IntentUsage.NONE, null)));
      assertEquals("On the Billing page.", text(call.get(20, TimeUnit.SECONDS)));
    }
  }

  /** A registry that runs calculator (17% of 2,340 = 397.8) and anything else as "ran". */
  private Behavior<ToolRegistry.Command> registry() {
    return Behaviors.receive(ToolRegistry.Command.class)
        .onMessage(ToolRegistry.Execute.class, m -> {
          executed.add(m.call().name());
          JsonNode output = m.call().name().equals("calculator")
              ? Json.object().put("expression", m.call().arguments().path("expression").asText()).put("result", 397.8)
              : Json.object().put("ran", m.call().name());
          m.replyTo().tell(ToolResult.ok(m.call().id(), m.call().name(), output).answering(m.corr()));
          return Behaviors.same();
        })
        .build();
  }

  private static McpSyncClient client(String base, String key) {
    HttpRequest.Builder request = HttpRequest.newBuilder();
    if (key != null) request.header("Authorization", "Bearer " + key);
    var transport = HttpClientStreamableHttpTransport.builder(base)
        .endpoint("/mcp")
        .jsonMapper(new JacksonMcpJsonMapper(new ObjectMapper()))
        .requestBuilder(request)
        .build();
    return McpClient.sync(transport)
        .clientInfo(new McpSchema.Implementation("mcp-server-test", "1"))
        .requestTimeout(Duration.ofSeconds(15))
        .initializationTimeout(Duration.ofSeconds(15))
        .jsonSchemaValidator((schema, content) -> JsonSchemaValidator.ValidationResponse.asValid(null))
        .build();
  }

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  @Test
  void aHostListsTheAllowedToolsAndTheAgentAndCallsThem() {
    try (McpSyncClient mcp = client(authBase, WRITER_KEY)) {
      McpSchema.InitializeResult init = mcp.initialize();
      assertEquals("troupe", init.serverInfo().name());
      assertTrue(init.capabilities().tools() != null, "tools capability");
      mcp.ping();

      List<String> names = mcp.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.contains("calculator"), names.toString());
      assertTrue(names.contains("troupe_agent_default"), names.toString());
      assertFalse(names.contains("files_write"), "the guardrail's allow-list hides it: " + names);
      McpSchema.Tool calculator = mcp.listTools().tools().stream().filter(t -> t.name().equals("calculator")).findFirst().orElseThrow();
      assertEquals(List.of("expression"), calculator.inputSchema().get("required"));
      assertEquals(Boolean.TRUE, calculator.annotations().readOnlyHint());

      McpSchema.CallToolResult sum = mcp.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", "17% of 2340")));
      assertFalse(Boolean.TRUE.equals(sum.isError()), text(sum));
      assertTrue(text(sum).contains("397.8"), text(sum));
      assertEquals(397.8, ((Number) ((Map<?, ?>) sum.structuredContent()).get("result")).doubleValue());

      // Not on the allow-list: the guardrail refuses it, and the registry never sees it.
      McpSchema.CallToolResult denied = mcp.callTool(new McpSchema.CallToolRequest("files_write", Map.of("path", "/etc/x")));
      assertEquals(Boolean.TRUE, denied.isError());
      assertTrue(text(denied).contains("tool-allow-list"), text(denied));
      assertFalse(executed.contains("files_write"), executed.toString());
      // Allowed, but its arguments match a deny pattern: every policy sees an MCP call.
      int ran = executed.size();
      McpSchema.CallToolResult patterned = mcp.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", "rm -rf /")));
      assertEquals(Boolean.TRUE, patterned.isError());
      assertTrue(text(patterned).contains("deny-pattern"), text(patterned));
      assertEquals(ran, executed.size(), "a refused call runs nothing: " + executed);

      McpSchema.CallToolResult answer = mcp.callTool(new McpSchema.CallToolRequest("troupe_agent_default", Map.of("text", README_INTENT)));
      assertFalse(Boolean.TRUE.equals(answer.isError()), text(answer));
      assertEquals("echo: " + README_INTENT, text(answer));
      var calls = io.troupe.metrics.TroupeMetrics.get(testKit.system()).registry();
      assertTrue(calls.counter("troupe.mcp.calls", "kind", "tool", "outcome", "denied").count() >= 2);
      assertTrue(calls.counter("troupe.mcp.calls", "kind", "tool", "outcome", "ok").count() >= 1);
      assertTrue(calls.counter("troupe.mcp.calls", "kind", "agent", "outcome", "ok").count() >= 1);
      String intentId = (String) answer.meta().get("troupe/intentId");
      assertFalse(intentId.contains("acme"), "ids are shown without the tenant: " + intentId);
      // The intent ran in a session of the caller's tenant, as POST /v1/intents would.
      String session = (String) answer.meta().get("troupe/sessionId");
      assertTrue(sessions.containsKey("acme~" + session), sessions.keySet().toString());
    }
  }

  @Test
  void theAgentToolChecksItsInputLikeTheRestApi() {
    try (McpSyncClient mcp = client(openBase, null)) {
      mcp.initialize();
      McpSchema.CallToolResult noText = mcp.callTool(new McpSchema.CallToolRequest("troupe_agent_default", Map.of()));
      assertEquals(Boolean.TRUE, noText.isError());
      assertTrue(text(noText).contains("text"), text(noText));
      McpSchema.CallToolResult badSession = mcp.callTool(new McpSchema.CallToolRequest("troupe_agent_default",
          Map.of("text", "hi", "sessionId", "a~b")));
      assertEquals(Boolean.TRUE, badSession.isError());
      // Without auth: the implicit tenant, unqualified sessions.
      McpSchema.CallToolResult ok = mcp.callTool(new McpSchema.CallToolRequest("troupe_agent_default",
          Map.of("text", "hello", "sessionId", "mcp-open-1")));
      assertEquals("echo: hello", text(ok));
      assertTrue(sessions.containsKey("mcp-open-1"), sessions.keySet().toString());
    }
  }

  @Test
  void theAgentWaitsForTheDatabaseLikeTheRestApi() {
    try (McpSyncClient mcp = client(notReadyBase, null)) {
      mcp.initialize();
      int before = sessions.size();
      McpSchema.CallToolResult answer = mcp.callTool(new McpSchema.CallToolRequest("troupe_agent_default", Map.of("text", "hi")));
      assertEquals(Boolean.TRUE, answer.isError());
      assertTrue(text(answer).contains("database"), text(answer));
      assertEquals(before, sessions.size(), "no session was asked");
    }
  }

  @Test
  void keysAndScopesAreTheRestApis() throws Exception {
    String list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    String call = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"calculator\",\"arguments\":{\"expression\":\"1+1\"}}}";
    HttpResponse<String> noKey = post(authBase, null, list);
    assertEquals(401, noKey.statusCode(), noKey.body());
    assertEquals("Bearer", noKey.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertEquals(401, post(authBase, "wrong-key", list).statusCode());

    assertEquals(200, post(authBase, READER_KEY, list).statusCode());
    int before = executed.size();
    HttpResponse<String> readerCalls = post(authBase, READER_KEY, call);
    assertEquals(403, readerCalls.statusCode(), readerCalls.body());
    assertEquals("forbidden", Json.parse(readerCalls.body()).at("/error/code").asText());
    assertEquals(before, executed.size(), "a refused call runs nothing");
    HttpResponse<String> writerCalls = post(authBase, WRITER_KEY, call);
    assertEquals(200, writerCalls.statusCode(), writerCalls.body());
    assertFalse(Json.parse(writerCalls.body()).at("/result/isError").asBoolean(), writerCalls.body());

    // The SDK's client sees the same: a reader lists, and cannot call.
    try (McpSyncClient reader = client(authBase, READER_KEY)) {
      reader.initialize();
      assertFalse(reader.listTools().tools().isEmpty());
      assertThrows(RuntimeException.class,
          () -> reader.callTool(new McpSchema.CallToolRequest("calculator", Map.of("expression", "1+1"))));
    }
    try (McpSyncClient nobody = client(authBase, null)) {
      assertThrows(RuntimeException.class, nobody::initialize);
    }
  }

  @Test
  void badInputGetsJsonRpcErrorsNotA500() throws Exception {
    Map<String, Integer> expected = Map.of(
        "{not json", -32700,
        "[]", -32600,
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600,
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", -32600,
        "{\"jsonrpc\":\"2.0\",\"id\":1}", -32600,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32600,
        "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", -32600);
    for (var e : expected.entrySet()) {
      HttpResponse<String> r = post(openBase, null, e.getKey());
      assertEquals(400, r.statusCode(), e.getKey() + " -> " + r.body());
      JsonNode body = Json.parse(r.body());
      assertEquals("2.0", body.path("jsonrpc").asText(), r.body());
      assertEquals(e.getValue().intValue(), body.at("/error/code").asInt(), e.getKey() + " -> " + r.body());
    }
    HttpResponse<String> unknownMethod = post(openBase, null, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"no/such\"}");
    assertEquals(200, unknownMethod.statusCode(), unknownMethod.body());
    assertEquals(-32601, Json.parse(unknownMethod.body()).at("/error/code").asInt(), unknownMethod.body());
    assertEquals("x", Json.parse(unknownMethod.body()).path("id").asText());

    HttpResponse<String> unknownTool = post(openBase, null,
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\",\"arguments\":{}}}");
    assertTrue(unknownTool.statusCode() < 500, unknownTool.body());
    assertTrue(Json.parse(unknownTool.body()).has("error") || Json.parse(unknownTool.body()).at("/result/isError").asBoolean(),
        unknownTool.body());

    HttpResponse<String> notification = post(openBase, null, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertEquals(202, notification.statusCode(), notification.body());

    HttpResponse<String> oldVersion = http.send(HttpRequest.newBuilder(URI.create(openBase + "/mcp"))
        .header("Content-Type", "application/json").header("MCP-Protocol-Version", "1999-01-01")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, oldVersion.statusCode(), oldVersion.body());
    assertEquals(-32600, Json.parse(oldVersion.body()).at("/error/code").asInt(), oldVersion.body());

    HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(openBase + "/mcp")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, get.statusCode(), get.body());

    HttpResponse<String> foreignOrigin = http.send(HttpRequest.newBuilder(URI.create(openBase + "/mcp"))
        .header("Content-Type", "application/json").header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, foreignOrigin.statusCode(), foreignOrigin.body());
  }

  @Test
  void offByDefaultTheEndpointIs404() throws Exception {
    HttpResponse<String> r = post(offBase, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    assertEquals(404, r.statusCode(), r.body());
  }

  private HttpResponse<String> post(String base, String key, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + "/mcp")).timeout(Duration.ofSeconds(15))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) r.header("Authorization", "Bearer " + key);
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
