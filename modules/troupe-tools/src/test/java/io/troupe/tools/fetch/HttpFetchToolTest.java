package io.troupe.tools.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.troupe.core.json.Json;
import io.troupe.core.tools.ToolContext;
import io.troupe.tools.ToolException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * http_fetch against servers this test starts on 127.0.0.1 only. Forbidden targets must see no
 * traffic: the tool counts the connections it opens, and the loopback servers count requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpFetchToolTest {
  private final ActorTestKit testKit = ActorTestKit.create();
  private final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private final List<HttpServer> servers = new ArrayList<>();
  private final AtomicInteger allowedHits = new AtomicInteger();
  private final AtomicInteger forbiddenHits = new AtomicInteger();
  private final List<String> resolved = new java.util.concurrent.CopyOnWriteArrayList<>();
  private int allowedPort;
  private int forbiddenPort;

  @BeforeAll
  void start() throws IOException {
    HttpServer forbidden = server();
    forbiddenPort = forbidden.getAddress().getPort();
    forbidden.createContext("/", ex -> {
      forbiddenHits.incrementAndGet();
      respond(ex, 200, "text/plain", "secret");
    });
    HttpServer allowed = server();
    allowedPort = allowed.getAddress().getPort();
    allowed.createContext("/", ex -> {
      allowedHits.incrementAndGet();
      String path = ex.getRequestURI().getPath();
      switch (path) {
        case "/page" -> respond(ex, 200, "text/html; charset=utf-8",
            "<html><head><title>T &amp; C</title><style>p{color:red}</style><script>alert('x')</script></head>"
                + "<body><h1>Hello</h1><p>World&nbsp;&#33;</p><!-- hidden --><noscript>no</noscript></body></html>");
        case "/json" -> respond(ex, 200, "application/json", "{\"a\":1}");
        case "/big" -> respond(ex, 200, "text/plain", "x".repeat(5000));
        case "/binary" -> respond(ex, 200, "image/png", "\u0089PNG");
        case "/to-forbidden" -> redirect(ex, "http://127.0.0.1:" + forbiddenPort + "/");
        case "/to-localhost" -> redirect(ex, "http://localhost:" + forbiddenPort + "/");
        case "/to-metadata" -> redirect(ex, "http://169.254.169.254/latest/meta-data/");
        case "/to-page" -> redirect(ex, "/page");
        case "/loop" -> redirect(ex, "/loop");
        default -> respond(ex, 404, "text/plain", "not found");
      }
    });
  }

  private HttpServer server() throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.start();
    servers.add(s);
    return s;
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static void redirect(com.sun.net.httpserver.HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().add("Location", location);
    ex.sendResponseHeaders(302, -1);
    ex.close();
  }

  @AfterAll
  void stop() {
    servers.forEach(s -> s.stop(0));
    blocking.shutdownNow();
    testKit.shutdownTestKit();
  }

  private HttpFetchTool tool(List<String> allowHosts, List<String> allowCidrs, long maxBytes) {
    var settings = new HttpFetchSettings(true, allowHosts, allowCidrs, 3, maxBytes, Duration.ofSeconds(10),
        Duration.ofSeconds(2), "test");
    return new HttpFetchTool(testKit.system(), settings, blocking, host -> {
      resolved.add(host);
      return InetAddress.getAllByName(host);
    });
  }

  private HttpFetchTool allowingTestServer() {
    return tool(List.of("127.0.0.1:" + allowedPort), List.of(), 1000);
  }

  private static JsonNode fetch(HttpFetchTool tool, String url) {
    return tool.invoke(Json.object().put("url", url), new ToolContext("i", "s", "c")).toCompletableFuture()
        .orTimeout(20, TimeUnit.SECONDS).join();
  }

  private static String refusal(HttpFetchTool tool, String url) {
    try {
      fetch(tool, url);
    } catch (CompletionException e) {
      assertTrue(e.getCause() instanceof ToolException, String.valueOf(e.getCause()));
      return e.getCause().getMessage();
    }
    throw new AssertionError("not refused: " + url);
  }

  @Test
  void forbiddenAddressesAreRefusedBeforeAnyConnection() {
    HttpFetchTool tool = tool(List.of(), List.of(), 1000);
    int forbiddenBefore = forbiddenHits.get();
    String[][] cases = {
      {"http://127.0.0.1:" + forbiddenPort + "/", "loopback"},
      {"http://10.0.0.1/", "private"},
      {"http://169.254.169.254/latest/meta-data/", "link-local"},
      {"http://[::1]:" + forbiddenPort + "/", "loopback"},
      {"http://localhost:" + forbiddenPort + "/", "loopback"},
      {"http://[::ffff:127.0.0.1]:" + forbiddenPort + "/", "loopback"},
      {"http://[::ffff:a9fe:a9fe]/", "link-local"},
      {"http://[fe80::1]/", "link-local"},
      {"http://[fd00::1]/", "private"},
      {"http://192.168.1.1/", "private"},
      {"http://172.16.0.1/", "private"},
      {"http://100.64.0.1/", "carrier-grade NAT"},
      {"http://0.0.0.0:" + forbiddenPort + "/", "unspecified"},
      {"http://224.0.0.1/", "multicast"},
    };
    for (String[] c : cases) {
      String error = refusal(tool, c[0]);
      assertTrue(error.startsWith("refused:") && error.contains(c[1]), c[0] + " -> " + error);
    }
    assertTrue(refusal(tool, "file:///etc/passwd").contains("only http and https"));
    assertTrue(refusal(tool, "ftp://example.org/").contains("only http and https"));
    assertEquals(0, tool.connectionsOpened(), "a refused URL must not open a connection");
    assertEquals(forbiddenBefore, forbiddenHits.get());
    assertEquals(List.of("localhost"), resolved.stream().filter(h -> h.equals("localhost")).distinct().toList(),
        "names are resolved by the tool itself, literals are not");
  }

  @Test
  void redirectsAreCheckedAtEveryHop() {
    HttpFetchTool tool = allowingTestServer();
    int before = forbiddenHits.get();
    assertTrue(refusal(tool, "http://127.0.0.1:" + allowedPort + "/to-forbidden").contains("loopback"));
    assertTrue(refusal(tool, "http://127.0.0.1:" + allowedPort + "/to-localhost").contains("loopback"));
    assertTrue(refusal(tool, "http://127.0.0.1:" + allowedPort + "/to-metadata").contains("link-local"));
    assertEquals(before, forbiddenHits.get(), "the forbidden server saw no request");
    assertEquals(3, tool.connectionsOpened(), "one connection per first hop, none to the forbidden targets");
    assertTrue(refusal(tool, "http://127.0.0.1:" + allowedPort + "/loop").startsWith("too many redirects"));
  }

  @Test
  void allowedContentComesBackAsText() {
    HttpFetchTool tool = allowingTestServer();
    JsonNode page = fetch(tool, "http://127.0.0.1:" + allowedPort + "/to-page");
    assertEquals(200, page.get("status").asInt());
    assertEquals("text/html", page.get("contentType").asText());
    assertEquals("T & C\n\nHello\nWorld !", page.get("text").asText());
    assertTrue(page.get("url").asText().endsWith("/page"));
    JsonNode json = fetch(tool, "http://127.0.0.1:" + allowedPort + "/json");
    assertEquals("{\"a\":1}", json.get("text").asText());
    assertFalse(json.get("truncated").asBoolean());
    JsonNode big = fetch(tool, "http://127.0.0.1:" + allowedPort + "/big");
    assertEquals(1000, big.get("text").asText().length());
    assertTrue(big.get("truncated").asBoolean());
    assertEquals(404, fetch(tool, "http://127.0.0.1:" + allowedPort + "/nothing").get("status").asInt());
    assertTrue(refusal(tool, "http://127.0.0.1:" + allowedPort + "/binary").contains("binary content"));
  }

  @Test
  void aCidrAllowListLetsAddressesThrough() {
    HttpFetchTool tool = tool(List.of(), List.of("127.0.0.0/8"), 1000);
    assertNull(fetch(tool, "http://127.0.0.1:" + allowedPort + "/json").get("error"));
  }

  @Test
  void addressRanges() {
    AddressPolicy policy = new AddressPolicy(List.of(), List.of("10.1.0.0/16"));
    assertNull(policy.denial(Literals.address("10.1.2.3")));
    assertEquals("private", policy.denial(Literals.address("10.2.0.1")));
    assertNull(AddressPolicy.forbiddenRange(Literals.address("93.184.216.34")));
    assertNull(AddressPolicy.forbiddenRange(Literals.address("2606:4700::1")));
    assertEquals("loopback (in an IPv6 form)", AddressPolicy.forbiddenRange(Literals.address("::127.0.0.1")));
    assertEquals("private (in an IPv6 form)", AddressPolicy.forbiddenRange(Literals.address("64:ff9b::10.0.0.1")));
    assertEquals("private (in an IPv6 form)", AddressPolicy.forbiddenRange(Literals.address("2002:c0a8:0101::1")));
    assertEquals("unspecified", AddressPolicy.forbiddenRange(Literals.address("::")));
    assertEquals("multicast", AddressPolicy.forbiddenRange(Literals.address("ff02::1")));
    assertTrue(policy.hostAllowed("Example.ORG.", 443) == false);
    assertTrue(new AddressPolicy(List.of("example.org"), List.of()).hostAllowed("Example.ORG.", 443));
    assertTrue(new AddressPolicy(List.of("example.org:8443"), List.of()).hostAllowed("example.org", 8443));
    assertFalse(new AddressPolicy(List.of("example.org:8443"), List.of()).hostAllowed("example.org", 443));
  }
}
