package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.http.security.SecuritySettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The listing follows the published catalog as it changes; expose-agents = false leaves the agent out. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpServerCatalogTest {
  private final ActorTestKit testKit = ActorTestKit.create("mcp-catalog-test", ConfigFactory.parseString("""
      troupe.mcp.server { enabled = on, expose-agents = false, path = "/agents/mcp" }
      """).withFallback(ConfigFactory.load()));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String base;

  @BeforeAll
  void bind() throws Exception {
    var tools = testKit.spawn(Behaviors.<ToolRegistry.Command>ignore());
    var guardrail = testKit.spawn(Guardrail.create(
        GuardrailSettings.fromConfig(testKit.system().settings().config().getConfig("troupe")),
        new Guardrail.Targets(null, tools, null)));
    Backends backends = new Backends(id -> null, testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        tools, null, null, guardrail);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, IngressSecurityTest.httpSettings(), SecuritySettings.open(), () -> 0, bound));
    base = "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void toolsComeAndGoWithTheCatalog() throws Exception {
    ToolCatalogs catalogs = ToolCatalogs.get(testKit.system());
    catalogs.publish(List.of(spec("alpha")), Map.of("alpha", Tool.Effect.READ_ONLY));
    assertEquals(List.of("alpha"), listed());

    catalogs.publish(List.of(spec("alpha"), spec("files_read")),
        Map.of("alpha", Tool.Effect.READ_ONLY, "files_read", Tool.Effect.READ_ONLY));
    assertEquals(List.of("alpha", "files_read"), listed());

    catalogs.publish(List.of(spec("files_read")), Map.of("files_read", Tool.Effect.SIDE_EFFECTING));
    assertEquals(List.of("files_read"), listed());
    JsonNode tool = list().at("/result/tools/0");
    assertTrue(tool.at("/annotations/destructiveHint").asBoolean(), tool.toString());
    assertFalse(tool.at("/annotations/readOnlyHint").asBoolean(), tool.toString());

    assertEquals(404, post("/mcp").statusCode(), "the endpoint is at the configured path only");
  }

  private static ToolSpec spec(String name) {
    return new ToolSpec(name, "the tool " + name, Json.parse("{\"type\":\"object\"}"));
  }

  private List<String> listed() throws Exception {
    List<String> names = new ArrayList<>();
    list().at("/result/tools").forEach(t -> names.add(t.path("name").asText()));
    names.sort(null);
    return names;
  }

  private JsonNode list() throws Exception {
    HttpResponse<String> r = post("/agents/mcp");
    assertEquals(200, r.statusCode(), r.body());
    return Json.parse(r.body());
  }

  private HttpResponse<String> post(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
