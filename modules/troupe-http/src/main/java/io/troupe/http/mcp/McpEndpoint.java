package io.troupe.http.mcp;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessAsyncServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.troupe.core.actor.Asks;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.tools.PublishedCatalog;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolResult;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.intents.SubmitRequest;
import io.troupe.http.security.Caller;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.LoadShedder;
import io.troupe.http.support.ReadinessGate;
import io.troupe.metrics.TroupeMetrics;
import io.troupe.metrics.TroupeMetrics.McpKind;
import io.troupe.metrics.TroupeMetrics.McpOutcome;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import reactor.core.publisher.Mono;

/**
 * The node as an MCP server ({@code troupe.mcp.server}): its tools, as the guardrail's allow-list
 * lets them through, and each of its agents as the tool {@code troupe_agent_<name>}. A tool call goes
 * through the guardrail like a call of the agent loop ({@link McpToolCalls}); an agent call is an
 * intent in a session of the caller's tenant, guarded like any other. The SDK's stateless server
 * does the protocol; {@link PekkoMcpTransport} carries it over Pekko HTTP.
 */
public final class McpEndpoint {
  /** Each agent is the tool {@code troupe_agent_<name>}. */
  public static final String AGENT_TOOL_PREFIX = "troupe_agent_";
  /** The name of the tool that runs an intent on the agent {@code default}. */
  public static final String DEFAULT_AGENT_TOOL = AGENT_TOOL_PREFIX + AgentSpec.DEFAULT;

  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** Output schemas are not checked (Troupe tools declare none); keeps the SDK's own validator unused. */
  private static final JsonSchemaValidator NO_OUTPUT_VALIDATION =
      (schema, content) -> JsonSchemaValidator.ValidationResponse.asValid(null);

  private final McpEndpointSettings settings;
  private final HttpSettings http;
  private final Backends backends;
  private final ActorSystem<?> system;
  private final LoadShedder shedder;
  private final ReadinessGate readiness;
  private final TroupeMetrics metrics;
  private final Set<String> toolAllowList;
  private final ToolCatalogs catalogs;
  private final ActorRef<McpToolCalls.Command> toolCalls;
  private final McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
  private final PekkoMcpTransport transport;
  private final McpStatelessAsyncServer server;
  private final PathMatcher0 path;
  /** The catalog version the server's tools were last synced to, and those tools; guarded by {@code this}. */
  private long syncedVersion = -1;
  private final Map<String, Registered> registered = new HashMap<>();

  public McpEndpoint(McpEndpointSettings settings, HttpSettings http, Backends backends, ReadinessGate readiness,
      LoadShedder shedder, ActorSystem<?> system) {
    this.settings = settings;
    this.http = http;
    this.backends = backends;
    this.system = system;
    this.shedder = shedder;
    this.readiness = readiness;
    this.metrics = TroupeMetrics.get(system);
    var config = system.settings().config();
    this.toolAllowList = config.hasPath("troupe.guardrail.tool-allow-list")
        ? Set.copyOf(config.getStringList("troupe.guardrail.tool-allow-list")) : Set.of();
    this.catalogs = ToolCatalogs.get(system);
    this.toolCalls = system.systemActorOf(McpToolCalls.create(backends.guardrail(), settings.toolCallTimeout()),
        "mcp-tool-calls-" + INSTANCES.incrementAndGet(), Props.empty());
    this.transport = new PekkoMcpTransport(json, http.limits(), http.maxBodyBytes(), http.askTimeout(), settings.allowedOrigins(),
        this::syncTools);
    var spec = McpServer.async(transport)
        .serverInfo("troupe", "0.1.0")
        .instructions("Troupe's tools and agents. Calls pass Troupe's guardrail; a refused call is an error result.")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
        .jsonMapper(json)
        .jsonSchemaValidator(NO_OUTPUT_VALIDATION)
        .validateToolInputs(false) // the tool registry validates arguments against the schema
        // Listed: what the guardrail's allow-list lets through. Registered: every tool, so that a
        // call of another one reaches the guardrail and is refused there, naming the policy.
        .addToolFilter((context, tool) -> Mono.just(listed(tool.name())))
        .requestTimeout(settings.longestCall().plusSeconds(5));
    if (settings.exposeAgents()) spec.tools(agentTools());
    this.server = spec.build();
    String[] segments = settings.segments();
    PathMatcher0 matcher = PathMatchers.segment(segments[0]);
    for (int i = 1; i < segments.length; i++) matcher = matcher.slash(segments[i]);
    this.path = matcher;
  }

  /** The endpoint's route for an authenticated caller. */
  public Route route(Caller caller) {
    return path(path, () -> withRequestTimeout(settings.longestCall().plusSeconds(10), () -> transport.route(caller)));
  }

  // Tools

  /**
   * Brings the server's tools up to the published catalog (all of it: the list filter hides what the
   * allow-list does not allow), when it has changed. The SDK's add and
   * remove complete on subscription (a list update), so this returns at once.
   */
  private synchronized void syncTools() {
    if (!settings.exposeTools()) return;
    PublishedCatalog catalog = catalogs.current();
    if (catalog.version() == syncedVersion) return;
    Map<String, ToolSpec> wanted = new HashMap<>();
    for (ToolSpec tool : catalog.tools()) {
      if (!tool.name().startsWith(AGENT_TOOL_PREFIX)) wanted.put(tool.name(), tool);
    }
    for (var it = registered.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      ToolSpec now = wanted.get(entry.getKey());
      if (now == null || !now.equals(entry.getValue().spec())
          || catalog.effects().get(entry.getKey()) != entry.getValue().effect()) {
        server.removeTool(entry.getKey()).subscribe(v -> { }, e -> { });
        it.remove();
      }
    }
    for (ToolSpec tool : wanted.values()) {
      if (registered.containsKey(tool.name())) continue;
      Tool.Effect effect = catalog.effects().get(tool.name());
      server.addTool(catalogTool(tool, effect)).subscribe(v -> { }, e -> { });
      registered.put(tool.name(), new Registered(tool, effect));
    }
    syncedVersion = catalog.version();
  }

  private record Registered(ToolSpec spec, Tool.Effect effect) {}

  private boolean listed(String tool) {
    return tool.startsWith(AGENT_TOOL_PREFIX) || toolAllowList.isEmpty() || toolAllowList.contains(tool);
  }

  private McpStatelessServerFeatures.AsyncToolSpecification catalogTool(ToolSpec tool, Tool.Effect effect) {
    Map<String, Object> schema = tool.parameters() == null || !tool.parameters().isObject()
        ? Map.of("type", "object") : Json.MAPPER.convertValue(tool.parameters(), MAP);
    var mcpTool = McpSchema.Tool.builder()
        .name(tool.name())
        .description(tool.description())
        .inputSchema(schema)
        .annotations(annotations(effect))
        .build();
    return new McpStatelessServerFeatures.AsyncToolSpecification(mcpTool, this::callTool);
  }

  private static McpSchema.ToolAnnotations annotations(Tool.Effect effect) {
    if (effect == null) return null;
    return switch (effect) {
      case READ_ONLY -> new McpSchema.ToolAnnotations(null, true, false, true, null, null);
      case IDEMPOTENT -> new McpSchema.ToolAnnotations(null, false, false, true, null, null);
      case SIDE_EFFECTING -> new McpSchema.ToolAnnotations(null, false, true, false, null, null);
    };
  }

  /** One call: the guardrail's verdict, then the registry's result, asked at the edge. */
  private Mono<McpSchema.CallToolResult> callTool(McpTransportContext context, McpSchema.CallToolRequest request) {
    Caller caller = callerOf(context);
    String session = caller.qualify("mcp-" + UUID.randomUUID());
    JsonNode arguments = request.arguments() == null ? Json.object() : Json.valueToTree(request.arguments());
    ToolCall call = new ToolCall("mcp-" + UUID.randomUUID(), request.name(), arguments);
    CompletionStage<McpSchema.CallToolResult> result = Asks.<McpToolCalls.Command, McpToolCalls.Settled>ask(
            toolCalls, replyTo -> new McpToolCalls.Call(call, session + ".1", session, replyTo),
            settings.toolCallTimeout(), system.scheduler())
        .thenApply(settled -> {
          if (settled.refused() != null) {
            metrics.mcpCall(McpKind.TOOL, McpOutcome.DENIED);
            return refused(request.name(), settled.refused());
          }
          metrics.mcpCall(McpKind.TOOL, settled.result().error() == null ? McpOutcome.OK : McpOutcome.ERROR);
          return fromToolResult(settled.result(), caller);
        })
        .exceptionally(t -> {
          metrics.mcpCall(McpKind.TOOL, McpOutcome.ERROR);
          return errorResult(JsonResponses.unwrap(t) instanceof TimeoutException
              ? "the tool '" + request.name() + "' did not answer within " + settings.toolCallTimeout().toSeconds() + " s"
              : "the tool '" + request.name() + "' could not be run: " + JsonResponses.unwrap(t).getClass().getSimpleName());
        });
    return Mono.fromCompletionStage(result);
  }

  private static McpSchema.CallToolResult refused(String tool, Verdict verdict) {
    if (verdict.kind() == Verdict.Kind.REQUIRE_APPROVAL) {
      return errorResult("the call of '" + tool + "' needs a person's approval (" + verdict.policy() + "): "
          + verdict.reason() + ". An MCP call cannot wait for one; submit an intent instead.");
    }
    return errorResult("the call of '" + tool + "' was refused by the guardrail (" + verdict.policy() + "): "
        + verdict.reason());
  }

  private McpSchema.CallToolResult fromToolResult(ToolResult result, Caller caller) {
    if (result.error() != null) return errorResult(caller.scrub(result.error()));
    JsonNode output = result.output();
    var builder = McpSchema.CallToolResult.builder().isError(false)
        .addTextContent(output == null ? "" : output.isTextual() ? output.asText() : output.toString());
    if (output != null && output.isObject()) builder.structuredContent(Json.MAPPER.convertValue(output, MAP));
    return builder.build();
  }

  private static McpSchema.CallToolResult errorResult(String message) {
    return McpSchema.CallToolResult.builder().isError(true).addTextContent(message).build();
  }

  private static Caller callerOf(McpTransportContext context) {
    Object caller = context.get(PekkoMcpTransport.CALLER);
    return caller instanceof Caller c ? c : Caller.IMPLICIT;
  }

  // The agents

  private List<McpStatelessServerFeatures.AsyncToolSpecification> agentTools() {
    return Agents.get(system).all().stream().map(this::agentTool).toList();
  }

  private McpStatelessServerFeatures.AsyncToolSpecification agentTool(AgentSpec agent) {
    Map<String, Object> schema = Map.of(
        "type", "object",
        "properties", Map.of(
            "text", Map.of("type", "string", "description", "What to ask the agent, as you would ask a person"),
            "sessionId", Map.of("type", "string",
                "description", "Continue this conversation (1 to 64 letters, digits, '-' or '_'); a new one when absent")),
        "required", List.of("text"));
    var tool = McpSchema.Tool.builder()
        .name(AGENT_TOOL_PREFIX + agent.name())
        .description((agent.description().isEmpty() ? "" : agent.description() + ". ")
            + "Runs an intent on Troupe's agent '" + agent.name() + "' (its model, tools and guardrail) and returns "
            + (agent.outputSchema() != null ? "its JSON answer." : "the answer."))
        .inputSchema(schema)
        .annotations(new McpSchema.ToolAnnotations(null, false, true, false, true, null))
        .build();
    return new McpStatelessServerFeatures.AsyncToolSpecification(tool,
        (context, request) -> runAgent(agent.name(), context, request));
  }

  /**
   * An intent in a session of the caller's tenant, waited for up to {@code agent-timeout}; shed and
   * held back until the database is ready, as {@code POST /v1/intents} is.
   */
  private Mono<McpSchema.CallToolResult> runAgent(String agent, McpTransportContext context,
      McpSchema.CallToolRequest request) {
    Caller caller = callerOf(context);
    SubmitRequest submit;
    try {
      shedder.admit();
      ObjectNode body = request.arguments() == null ? Json.object() : (ObjectNode) Json.valueToTree(request.arguments());
      body.remove("metadata");
      body.putObject("metadata").put("source", "mcp");
      body.put("agent", agent);
      // A key of our own: a read after a timeout finds the same intent.
      submit = SubmitRequest.parse(body, Optional.of("mcp:" + UUID.randomUUID()), "", http.limits());
    } catch (ApiError e) {
      metrics.mcpCall(McpKind.AGENT, McpOutcome.ERROR);
      return Mono.just(errorResult(e.getMessage()));
    }
    String session = caller.qualify(submit.sessionId());
    CompletionStage<McpSchema.CallToolResult> result = readiness.require(Subsystems.DATABASE, "accepting an intent")
        .thenCompose(ready -> submitAndWait(submit, session))
        .thenApply(view -> {
          boolean denied = view.outcome() != null && io.troupe.core.session.Errors.GUARDRAIL_DENIED.equals(view.outcome().errorCode());
          metrics.mcpCall(McpKind.AGENT, view.status() == IntentStatus.SUCCEEDED ? McpOutcome.OK
              : denied ? McpOutcome.DENIED : McpOutcome.ERROR);
          return agentResult(view, caller);
        })
        .exceptionally(t -> {
          metrics.mcpCall(McpKind.AGENT, McpOutcome.ERROR);
          return errorResult(caller.scrub(JsonResponses.toApiError(t, http.retryAfterSeconds()).getMessage()));
        });
    return Mono.fromCompletionStage(result);
  }

  /** One ask of the session: accepted and answered once terminal; after the timeout, the intent as it is. */
  private CompletionStage<IntentView> submitAndWait(SubmitRequest submit, String session) {
    var sessionRef = backends.sessions().apply(session);
    return Asks.<SessionEntity.Command, IntentView>askWithStatus(sessionRef,
            replyTo -> new SessionEntity.SubmitAndWait(submit.text(), submit.metadata(), submit.idempotencyKey(), replyTo,
                null, submit.agent()),
            settings.agentTimeout(), system.scheduler())
        .exceptionallyCompose(t -> JsonResponses.unwrap(t) instanceof TimeoutException
            // The same key: the intent the first ask accepted, as it is now.
            ? Asks.<SessionEntity.Command, IntentView>askWithStatus(sessionRef, replyTo -> new SessionEntity.Submit(
                submit.text(), submit.metadata(), submit.idempotencyKey(), replyTo, null, submit.agent()),
                http.askTimeout(), system.scheduler())
            : CompletableFuture.failedFuture(t));
  }

  private McpSchema.CallToolResult agentResult(IntentView view, Caller caller) {
    String id = caller.unqualify(view.id());
    Map<String, Object> meta = Map.of("troupe/intentId", id, "troupe/sessionId", caller.unqualify(view.sessionId()),
        "troupe/status", view.status().json());
    if (view.status() == IntentStatus.SUCCEEDED) {
      String answer = view.outcome() == null || view.outcome().answer() == null ? "" : view.outcome().answer();
      var ok = McpSchema.CallToolResult.builder().isError(false).addTextContent(answer).meta(meta);
      JsonNode output = view.outcome() == null ? null : view.outcome().output();
      if (output != null && output.isObject()) ok.structuredContent(Json.MAPPER.convertValue(output, MAP));
      return ok.build();
    }
    if (!view.status().isTerminal()) {
      return McpSchema.CallToolResult.builder().isError(true).meta(meta)
          .addTextContent("the intent " + id + " is still " + view.status().json() + " after "
              + settings.agentTimeout().toSeconds() + " s; follow it at GET /v1/intents/" + id)
          .build();
    }
    String error = view.outcome() == null || view.outcome().error() == null ? "no answer" : view.outcome().error();
    return McpSchema.CallToolResult.builder().isError(true).meta(meta)
        .addTextContent("the intent " + id + " " + view.status().json()
            + (view.outcome() != null && view.outcome().errorCode() != null ? " (" + view.outcome().errorCode() + ")" : "")
            + ": " + caller.scrub(error)).build();
  }
}
