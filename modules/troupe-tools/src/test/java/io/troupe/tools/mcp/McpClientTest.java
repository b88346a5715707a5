package io.troupe.tools.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * MCP round trips against servers the test starts itself: streamable HTTP on 127.0.0.1:0 and a
 * python3 process over stdio; and a server that is down at Init and comes up later.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpClientTest {
  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Path stdioServer() throws Exception {
    Path script = Files.createTempFile("troupe-mcp-test", ".py");
    script.toFile().deleteOnExit();
    try (InputStream in = McpClientTest.class.getResourceAsStream("/mcp/stdio_server.py")) {
      Files.write(script, in.readAllBytes());
    }
    return script;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private ToolResult call(ActorRef<ToolRegistry.Command> registry, String name, String args) {
    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall("c", name, Json.parse(args)), new ToolContext("i", "s", "c"), reply.ref()));
    return reply.receiveMessage(Duration.ofSeconds(20));
  }

  private Map<String, ToolCatalog.ToolInfo> awaitTools(ActorRef<ToolRegistry.Command> registry, List<String> names) {
    TestProbe<ToolCatalog.Catalog> list = testKit.createTestProbe();
    return list.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      registry.tell(new ToolCatalog.Describe(list.ref()));
      Map<String, ToolCatalog.ToolInfo> byName = list.receiveMessage(Duration.ofSeconds(10)).details().stream()
          .collect(Collectors.toMap(ToolCatalog.ToolInfo::name, Function.identity()));
      for (String n : names) assertTrue(byName.containsKey(n), n + " in " + byName.keySet());
      return byName;
    });
  }

  @Test
  void toolsOfHttpAndStdioServersAreRegisteredAndCalled() throws Exception {
    try (TestMcpHttpServer http = new TestMcpHttpServer(0)) {
      Path script = stdioServer();
      var troupe = ConfigFactory.parseString("""
              troupe.tools.http-fetch.enabled = false
              troupe.tools.mcp.servers {
                web { transport = http, url = "%s", max-concurrent = 2, timeout = 5s }
                local { transport = stdio, command = ["python3", "-u", "%s"], env { TROUPE_TEST = "1" }, prefix = "py_" }
              }
              """.formatted(http.url(), script.toString().replace("\\", "\\\\")))
          .withFallback(ConfigFactory.load()).getConfig("troupe");
      ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(troupe, null, null, List.of()));
      TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
      registry.tell(new Lifecycle.Init(init.ref()));
      assertTrue(init.receiveMessage(Duration.ofSeconds(10)).isOk());

      Map<String, ToolCatalog.ToolInfo> tools = awaitTools(registry, List.of("web_upper", "web_fail", "py_echo", "py_add"));
      assertEquals(new ToolCatalog.ToolInfo("web_upper", Tool.Effect.READ_ONLY, false, 5000, 2, "mcp:web"), tools.get("web_upper"));
      assertEquals(Tool.Effect.SIDE_EFFECTING, tools.get("web_fail").effect());
      assertEquals("mcp:local", tools.get("py_add").source());
      assertEquals(Tool.Effect.READ_ONLY, tools.get("py_echo").effect());

      ToolResult upper = call(registry, "web_upper", "{\"text\":\"hello\"}");
      assertNull(upper.error());
      assertEquals("HELLO", upper.output().get("text").asText());
      ToolResult failed = call(registry, "web_fail", "{}");
      assertEquals("the MCP tool reported an error: disk on fire", failed.error());
      ToolResult bad = call(registry, "web_upper", "{\"text\":5}");
      assertTrue(bad.error().startsWith("invalid arguments for 'web_upper'"), bad.error());
      assertEquals(2, http.calls.get(), "bad arguments never reach the server");

      assertEquals("stdio:hi", call(registry, "py_echo", "{\"text\":\"hi\"}").output().get("text").asText());
      assertEquals("5", call(registry, "py_add", "{\"a\":2,\"b\":3}").output().get("text").asText());
      assertTrue(call(registry, "py_add", "{\"a\":2}").error().contains("b"));
      testKit.stop(registry);
    }
  }

  @Test
  void aServerThatIsDownLeavesTheRegistryDegradedUntilItComesUp() throws Exception {
    int port = freePort();
    var troupe = ConfigFactory.parseString("""
            troupe.tools.http-fetch.enabled = false
            troupe.tools.mcp.retry-interval = 300ms
            troupe.tools.mcp.servers.late { transport = http, url = "http://127.0.0.1:%d/mcp" }
            """.formatted(port))
        .withFallback(ConfigFactory.load()).getConfig("troupe");
    ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(troupe, null, null, List.of()));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    assertTrue(init.receiveMessage(Duration.ofSeconds(10)).isOk(), "Init succeeds with a server down");

    // the built-ins work, the server's tools are absent with a clear error
    assertEquals("4", call(registry, "calculator", "{\"expression\":\"2+2\"}").output().path("result").asText("4"));
    ToolResult absent = call(registry, "late_upper", "{\"text\":\"x\"}");
    assertTrue(absent.error().startsWith("unknown tool 'late_upper'"), absent.error());
    TestProbe<ToolCatalog.Catalog> list = testKit.createTestProbe();
    registry.tell(new ToolCatalog.Describe(list.ref()));
    assertFalse(list.receiveMessage(Duration.ofSeconds(10)).details().stream().anyMatch(d -> d.source().equals("mcp:late")));

    try (TestMcpHttpServer http = new TestMcpHttpServer(port)) {
      awaitTools(registry, List.of("late_upper"));
      assertEquals("LATE", call(registry, "late_upper", "{\"text\":\"late\"}").output().get("text").asText());
    }
    testKit.stop(registry);
  }
}
