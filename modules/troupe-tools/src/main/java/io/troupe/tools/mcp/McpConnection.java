package io.troupe.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.tools.ToolException;
import io.troupe.tools.api.LimitedTool;
import io.troupe.tools.api.ToolLimits;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * A live connection to one MCP server, with the SDK's async client: connecting, listing tools and
 * calling them are all non-blocking ({@code Mono} → {@code CompletableFuture}); the stdio
 * transport reads the process on the SDK's own threads.
 */
public final class McpConnection implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final McpJsonMapper JSON = new JacksonMcpJsonMapper(MAPPER);
  private static final Pattern BAD_NAME_CHARS = Pattern.compile("[^A-Za-z0-9_.-]");

  /**
   * Tool output schemas are not checked here (the registry checks arguments); this also keeps the
   * SDK's own validator, built for a newer json-schema-validator than Troupe's, unused.
   */
  private static final JsonSchemaValidator NO_OUTPUT_VALIDATION =
      (schema, content) -> JsonSchemaValidator.ValidationResponse.asValid(null);

  private final McpServerSettings server;
  private final McpAsyncClient client;
  private final List<LimitedTool> tools;

  private McpConnection(McpServerSettings server, McpAsyncClient client, List<McpSchema.Tool> listed) {
    this.server = server;
    this.client = client;
    List<LimitedTool> out = new ArrayList<>();
    for (McpSchema.Tool t : listed) out.add(new McpTool(t));
    this.tools = List.copyOf(out);
  }

  /** Connects, initializes and lists the tools; fails with the reason when the server is unreachable. */
  public static CompletionStage<McpConnection> connect(McpServerSettings server, McpServerSettings.Timeouts timeouts) {
    McpAsyncClient client;
    try {
      client = McpClient.async(transport(server))
          .clientInfo(new McpSchema.Implementation("troupe", "0.1.0"))
          .requestTimeout(timeouts.request())
          .initializationTimeout(timeouts.init())
          .jsonSchemaValidator(NO_OUTPUT_VALIDATION)
          .build();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return client.initialize()
        .then(client.listTools())
        .map(list -> new McpConnection(server, client, list.tools() == null ? List.of() : list.tools()))
        .toFuture()
        .whenComplete((c, e) -> {
          if (e != null) client.close();
        });
  }

  private static McpClientTransport transport(McpServerSettings server) {
    if ("stdio".equals(server.transport())) {
      List<String> command = server.command();
      ServerParameters params = ServerParameters.builder(command.get(0))
          .args(command.subList(1, command.size()))
          .env(server.env())
          .build();
      StdioClientTransport transport = new StdioClientTransport(params, JSON);
      transport.setStdErrorHandler(line -> { }); // a server's stderr is its own business
      return transport;
    }
    URI uri = URI.create(server.url());
    String base = uri.getScheme() + "://" + uri.getRawAuthority();
    String endpoint = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    HttpRequest.Builder request = HttpRequest.newBuilder();
    server.headers().forEach(request::header);
    return HttpClientStreamableHttpTransport.builder(base)
        .endpoint(endpoint)
        .jsonMapper(JSON)
        .requestBuilder(request)
        .build();
  }

  public McpServerSettings server() {
    return server;
  }

  /** The server's tools as Troupe tools, named with the server's prefix. */
  public List<LimitedTool> tools() {
    return tools;
  }

  @Override
  public void close() {
    client.closeGracefully().subscribe(v -> { }, e -> client.close());
  }

  /** One MCP tool; a call goes to the server through the async client. */
  private final class McpTool implements LimitedTool {
    private final String remoteName;
    private final ToolSpec spec;
    private final Effect effect;

    McpTool(McpSchema.Tool tool) {
      this.remoteName = tool.name();
      String name = BAD_NAME_CHARS.matcher(server.prefix() + tool.name()).replaceAll("_");
      JsonNode schema = tool.inputSchema() == null ? Json.object().put("type", "object") : Json.valueToTree(tool.inputSchema());
      this.spec = new ToolSpec(name, tool.description() == null ? "" : tool.description(), schema);
      this.effect = server.effect() != null ? server.effect() : effectOf(tool.annotations());
    }

    @Override
    public ToolSpec spec() {
      return spec;
    }

    @Override
    public Effect effect() {
      return effect;
    }

    @Override
    public ToolLimits limits() {
      return server.limits();
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
      Map<String, Object> args = Json.MAPPER.convertValue(arguments, Map.class);
      return client.callTool(new McpSchema.CallToolRequest(remoteName, args))
          .toFuture()
          .handle((result, error) -> {
            if (error != null) {
              throw new ToolException("the MCP server '" + server.name() + "' failed the call: " + message(error));
            }
            return output(result);
          });
    }
  }

  private JsonNode output(McpSchema.CallToolResult result) {
    StringBuilder text = new StringBuilder();
    if (result.content() != null) {
      for (McpSchema.Content c : result.content()) {
        if (c instanceof McpSchema.TextContent t) {
          if (text.length() > 0) text.append('\n');
          text.append(t.text());
        }
      }
    }
    if (Boolean.TRUE.equals(result.isError())) {
      throw new ToolException("the MCP tool reported an error: " + (text.length() == 0 ? "no details" : text));
    }
    ObjectNode out = Json.object();
    if (result.structuredContent() != null) out.set("structured", Json.valueToTree(result.structuredContent()));
    out.put("text", text.toString());
    if (result.content() != null && result.content().stream().anyMatch(c -> !(c instanceof McpSchema.TextContent))) {
      out.set("content", MAPPER.valueToTree(result.content()));
    }
    return out;
  }

  static Tool.Effect effectOf(McpSchema.ToolAnnotations a) {
    if (a == null) return Tool.Effect.SIDE_EFFECTING;
    if (Boolean.TRUE.equals(a.readOnlyHint())) return Tool.Effect.READ_ONLY;
    if (Boolean.TRUE.equals(a.idempotentHint())) return Tool.Effect.IDEMPOTENT;
    return Tool.Effect.SIDE_EFFECTING;
  }

  /** The messages of an error and its causes, for logs and degraded details; no stack traces. */
  public static String describe(Throwable error) {
    StringBuilder out = new StringBuilder();
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    for (Throwable t = error; t != null && seen.add(t) && seen.size() < 6; t = t.getCause()) {
      if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) continue;
      if (out.length() > 0) out.append(" <- ");
      out.append(t.getClass().getSimpleName());
      if (t.getMessage() != null) out.append(": ").append(t.getMessage().replaceAll("\\s+", " ").strip());
    }
    String text = out.toString();
    return text.length() <= 600 ? text : text.substring(0, 600) + "...";
  }

  static String message(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && (cause instanceof java.util.concurrent.CompletionException
        || cause.getMessage() == null)) {
      cause = cause.getCause();
    }
    String m = cause.getMessage();
    return (m == null || m.isBlank() ? cause.getClass().getSimpleName() : m).replaceAll("\\s+", " ").strip();
  }
}
