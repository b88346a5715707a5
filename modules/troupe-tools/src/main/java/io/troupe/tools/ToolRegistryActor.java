package io.troupe.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.typesafe.config.Config;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.tools.Reconciliation;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalog;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import io.troupe.tools.api.LimitedTool;
import io.troupe.tools.api.ToolLimits;
import io.troupe.tools.builtin.BuiltinTools;
import io.troupe.tools.fetch.HttpFetchSettings;
import io.troupe.tools.fetch.HttpFetchTool;
import io.troupe.tools.mcp.McpConnection;
import io.troupe.tools.mcp.McpServerSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * The tool registry subsystem. It holds the tools with their compiled argument schemas, and runs
 * each {@link ToolRegistry.Execute}: unknown tool, bad arguments, a full bulkhead, a failure or a
 * timeout all become an error {@link ToolResult}, and a result always goes back. ASYNC tools are
 * invoked here, BLOCKING ones on {@code troupe.tools.blocking-dispatcher}; either way the actor
 * never waits, so many calls run at once.
 *
 * <p>Each tool has a timeout and a bulkhead (calls running at once, calls waiting), its own when it
 * is a {@link LimitedTool} that sets them, else {@code troupe.tools.timeout} and
 * {@code troupe.tools.defaults}. A slot is freed when the call completes or times out, whichever
 * comes first.
 *
 * <p>At Init the registry connects to the MCP servers of {@code troupe.tools.mcp.servers} and adds
 * their tools when they answer; a server that does not leaves the registry degraded (Init still
 * succeeds) and is tried again every {@code retry-interval}.
 *
 * <p>{@link ToolRegistry.ListTools} answers with the specs, {@link ToolCatalog.Describe} with the
 * specs and flags, even before Init.
 */
public final class ToolRegistryActor extends AbstractBehavior<ToolRegistry.Command> {

  /** The subsystem name used in readiness and errors. */
  public static final String NAME = Subsystems.TOOLS;

  /** {@code source} of the built-in tools. */
  public static final String BUILTIN = "builtin";

  /** {@code source} of tools given in Java (at start-up or with Register). */
  public static final String JAVA = "java";

  private static final int MAX_ERROR = 500;

  private record Finished(long runId, JsonNode output, Throwable error) implements ToolRegistry.Command {}

  private record TimedOut(long runId) implements ToolRegistry.Command {}

  private record McpConnected(String server, McpConnection connection, Throwable error) implements ToolRegistry.Command {}

  private record McpRetry(String server) implements ToolRegistry.Command {}

  /** A registered tool with how it runs. */
  private record Entry(Tool tool, String source, Duration timeout, int maxConcurrent, int maxQueue, ArgumentValidator validator) {
    String name() {
      return tool.spec().name();
    }

    ToolCatalog.ToolInfo info() {
      return new ToolCatalog.ToolInfo(name(), tool.effect(), tool.kind() == Tool.Kind.BLOCKING, timeout.toMillis(),
          maxConcurrent, source);
    }
  }

  private record Reconciled(ToolRegistry.Reconcile request, Reconciliation outcome, Throwable error)
      implements ToolRegistry.Command {}

  private static final class Running {
    final ToolRegistry.Execute request;
    final Entry entry;
    final JsonNode args;
    boolean started;

    Running(ToolRegistry.Execute request, Entry entry, JsonNode args) {
      this.request = request;
      this.entry = entry;
      this.args = args;
    }

    String callId() {
      return request.call().id();
    }

    String name() {
      return request.call().name();
    }
  }

  public static Behavior<ToolRegistry.Command> create(
      Config troupe, ActorRef<VectorStore.Command> vectorStore, ActorRef<Database.Command> database) {
    return create(troupe, vectorStore, database, List.of());
  }

  /**
   * With the built-in tools plus {@code extraTools}; an extra tool with a built-in's name replaces
   * it. A null vector store or database leaves out the tools that need it.
   */
  public static Behavior<ToolRegistry.Command> create(
      Config troupe,
      ActorRef<VectorStore.Command> vectorStore,
      ActorRef<Database.Command> database,
      List<? extends Tool> extraTools) {
    List<Tool> extras = List.copyOf(extraTools);
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new ToolRegistryActor(ctx, timers, troupe, vectorStore, database, extras)));
  }

  private final TimerScheduler<ToolRegistry.Command> timers;
  private final ToolSettings settings;
  private final Executor blocking;
  private final Map<String, Entry> tools = new LinkedHashMap<>();
  private final Map<Long, Running> running = new HashMap<>();
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Map<String, Deque<Long>> waiting = new HashMap<>();
  private final Map<String, McpServerSettings> mcpServers = new LinkedHashMap<>();
  private final McpServerSettings.Timeouts mcpTimeouts;
  private final Map<String, McpConnection> mcpConnections = new HashMap<>();
  private final Map<String, String> mcpDown = new LinkedHashMap<>();
  private boolean ready;
  private long nextRunId;

  private ToolRegistryActor(
      ActorContext<ToolRegistry.Command> ctx,
      TimerScheduler<ToolRegistry.Command> timers,
      Config troupe,
      ActorRef<VectorStore.Command> vectorStore,
      ActorRef<Database.Command> database,
      List<Tool> extras) {
    super(ctx);
    this.timers = timers;
    this.settings = ToolSettings.fromConfig(troupe);
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(ToolSettings.BLOCKING_DISPATCHER));
    Config toolsConfig = troupe.getConfig("tools");
    for (Tool tool : BuiltinTools.create(ctx.getSystem(), settings, vectorStore, database)) {
      put(tool, BUILTIN);
    }
    HttpFetchSettings fetch = HttpFetchSettings.fromConfig(toolsConfig);
    if (fetch.enabled()) {
      put(new HttpFetchTool(ctx.getSystem(), fetch, blocking), BUILTIN);
    }
    for (Tool tool : JavaToolClasses.load(toolsConfig.getStringList("classes"), classLoader())) {
      put(tool, JAVA);
    }
    for (Tool tool : extras) {
      put(tool, JAVA);
    }
    for (McpServerSettings server : McpServerSettings.all(toolsConfig)) {
      mcpServers.put(server.name(), server);
    }
    this.mcpTimeouts = McpServerSettings.Timeouts.of(toolsConfig);
  }

  private static ClassLoader classLoader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : ToolRegistryActor.class.getClassLoader();
  }

  private Entry put(Tool tool, String source) {
    ToolLimits limits = tool instanceof LimitedTool l && l.limits() != null ? l.limits() : ToolLimits.DEFAULTS;
    Entry entry = new Entry(
        tool,
        source,
        limits.timeout() != null && !limits.timeout().isZero() && !limits.timeout().isNegative() ? limits.timeout() : settings.timeout(),
        limits.maxConcurrent() > 0 ? limits.maxConcurrent() : settings.maxConcurrent(),
        limits.maxQueue() >= 0 ? limits.maxQueue() : settings.maxQueue(),
        ArgumentValidator.compile(tool.spec().parameters()));
    if (!entry.validator().usable()) {
      getContext().getLog().warn("tool '{}' has an invalid parameter schema", entry.name());
    }
    tools.put(entry.name(), entry);
    return entry;
  }

  @Override
  public Receive<ToolRegistry.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(ToolRegistry.ListTools.class, this::onListTools)
        .onMessage(ToolCatalog.Describe.class, this::onDescribe)
        .onMessage(ToolRegistry.Register.class, this::onRegister)
        .onMessage(ToolRegistry.Execute.class, this::onExecute)
        .onMessage(ToolRegistry.Reconcile.class, this::onReconcile)
        .onMessage(Reconciled.class, this::onReconciled)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(TimedOut.class, this::onTimedOut)
        .onMessage(McpConnected.class, this::onMcpConnected)
        .onMessage(McpRetry.class, m -> connect(m.server()))
        .onSignal(PostStop.class, s -> {
          mcpConnections.values().forEach(McpConnection::close);
          return this;
        })
        .build();
  }

  /** Ready at once; MCP servers connect in the background (degraded until they answer). */
  private Behavior<ToolRegistry.Command> onInit(Lifecycle.Init init) {
    if (!ready) {
      ready = true;
      mcpServers.keySet().forEach(this::connect);
    }
    publishCatalog();
    init.replyTo().tell(Lifecycle.Initialized.ok(NAME));
    return this;
  }

  private Behavior<ToolRegistry.Command> connect(String server) {
    McpServerSettings s = mcpServers.get(server);
    if (s == null || mcpConnections.containsKey(server)) return this;
    // building the client loads classes and may start a process: not on the registry's thread
    CompletionStage<McpConnection> connected = CompletableFuture
        .supplyAsync(() -> McpConnection.connect(s, mcpTimeouts), blocking)
        .thenCompose(stage -> stage);
    getContext().pipeToSelf(connected, (c, e) -> new McpConnected(server, c, e));
    return this;
  }

  private Behavior<ToolRegistry.Command> onMcpConnected(McpConnected m) {
    McpServerSettings s = mcpServers.get(m.server());
    if (m.error() != null) {
      String reason = McpConnection.describe(m.error());
      mcpDown.put(m.server(), reason);
      getContext().getLog().warn("MCP server '{}' ({}) is unavailable, the tool registry is degraded; retrying in {}: {}",
          m.server(), s.target(), mcpTimeouts.retry(), reason);
      timers.startSingleTimer("mcp-retry-" + m.server(), new McpRetry(m.server()), mcpTimeouts.retry());
      return this;
    }
    mcpDown.remove(m.server());
    McpConnection old = mcpConnections.put(m.server(), m.connection());
    if (old != null) old.close();
    String source = "mcp:" + m.server();
    tools.values().removeIf(e -> e.source().equals(source));
    List<String> names = new ArrayList<>();
    for (LimitedTool tool : m.connection().tools()) {
      Entry existing = tools.get(tool.spec().name());
      if (existing != null && !existing.source().equals(source)) {
        getContext().getLog().warn("MCP tool '{}' of server '{}' is skipped: a {} tool has that name",
            tool.spec().name(), m.server(), existing.source());
        continue;
      }
      names.add(put(tool, source).name());
    }
    publishCatalog();
    getContext().getLog().info("MCP server '{}' connected with {} tools: {}", m.server(), names.size(), names);
    return this;
  }

  /** The MCP servers that are down, with the reason; empty when the registry is fully up. */
  Map<String, String> degraded() {
    return Map.copyOf(mcpDown);
  }

  /** Publishes the tools as they are now, for sessions and the guardrail to read ({@link ToolCatalogs}). */
  private void publishCatalog() {
    if (!ready) return;
    Map<String, Tool.Effect> effects = new LinkedHashMap<>();
    tools.values().forEach(e -> effects.put(e.name(), e.tool().effect()));
    ToolCatalogs.get(getContext().getSystem()).publish(tools.values().stream().map(e -> e.tool().spec()).toList(), effects);
  }

  private Behavior<ToolRegistry.Command> onListTools(ToolRegistry.ListTools m) {
    m.replyTo().tell(new ToolRegistry.ToolList(
        tools.values().stream().map(e -> e.tool().spec()).toList(),
        tools.values().stream().filter(e -> e.tool().effect() == Tool.Effect.SIDE_EFFECTING).map(Entry::name).toList()));
    return this;
  }

  private Behavior<ToolRegistry.Command> onDescribe(ToolCatalog.Describe m) {
    m.replyTo().tell(new ToolCatalog.Catalog(
        tools.values().stream().map(e -> e.tool().spec()).toList(),
        tools.values().stream().map(Entry::info).toList()));
    return this;
  }

  private Behavior<ToolRegistry.Command> onRegister(ToolRegistry.Register m) {
    put(m.tool(), JAVA);
    publishCatalog();
    m.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<ToolRegistry.Command> onExecute(ToolRegistry.Execute m) {
    ToolCall call = m.call();
    String callId = call.id();
    String name = call.name();
    if (!ready) {
      m.reply(ToolResult.failed(callId, name, Lifecycle.unavailable(NAME, null)));
      return this;
    }
    Entry entry = tools.get(name);
    if (entry == null) {
      String down = mcpDown.isEmpty() ? "" : "; MCP servers unavailable now: " + String.join(", ", mcpDown.keySet());
      m.reply(ToolResult.failed(callId, name,
          "unknown tool '" + name + "'; available tools: " + String.join(", ", tools.keySet()) + down));
      return this;
    }
    JsonNode args = arguments(call.arguments());
    if (args == null) {
      m.reply(ToolResult.failed(callId, name, "invalid arguments for '" + name + "': they must be a JSON object"));
      return this;
    }
    List<String> problems = entry.validator().validate(args);
    if (!problems.isEmpty()) {
      m.reply(ToolResult.failed(callId, name,
          "invalid arguments for '" + name + "': " + String.join("; ", problems) + ". Fix the arguments and call again."));
      return this;
    }
    int busy = inFlight.getOrDefault(name, 0);
    Deque<Long> queue = waiting.computeIfAbsent(name, n -> new ArrayDeque<>());
    if (busy >= entry.maxConcurrent() && queue.size() >= entry.maxQueue()) {
      m.reply(ToolResult.failed(callId, name,
          "the tool '" + name + "' is busy: " + busy + " calls running and " + queue.size()
              + " waiting, the most it takes; try again later or do without it"));
      return this;
    }
    CompletionStage<JsonNode> started = null;
    if (busy < entry.maxConcurrent() && entry.tool().kind() == Tool.Kind.ASYNC) {
      started = start(entry.tool(), args, m.context());
      CompletableFuture<JsonNode> done = completedNow(started);
      if (done != null) {
        // A tool that computed its answer at once: answered now, with no timer and no slot to free.
        m.reply(done.handle((output, error) -> resultOf(callId, name, output, error)).getNow(null));
        return this;
      }
    }
    long runId = nextRunId++;
    running.put(runId, new Running(m, entry, args));
    timers.startSingleTimer(runId, new TimedOut(runId), entry.timeout());
    if (started != null) {
      launch(runId, started);
    } else if (busy < entry.maxConcurrent()) {
      launch(runId);
    } else {
      queue.addLast(runId);
    }
    return this;
  }

  /** The stage as a future when it has completed already, else null. */
  private static CompletableFuture<JsonNode> completedNow(CompletionStage<JsonNode> stage) {
    try {
      CompletableFuture<JsonNode> future = stage.toCompletableFuture();
      return future.isDone() ? future : null;
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  private static ToolResult resultOf(String callId, String name, JsonNode output, Throwable error) {
    return error == null
        ? ToolResult.ok(callId, name, output == null ? NullNode.getInstance() : output)
        : ToolResult.failed(callId, name, errorMessage(error));
  }

  private Behavior<ToolRegistry.Command> onReconcile(ToolRegistry.Reconcile m) {
    Entry entry = tools.get(m.call().name());
    JsonNode args = arguments(m.call().arguments());
    if (!ready || entry == null || args == null || entry.tool().effect() != Tool.Effect.SIDE_EFFECTING) {
      // Nothing to settle: runs again, or fails as any call would.
      return onExecute(m.asExecute());
    }
    Tool tool = entry.tool();
    CompletionStage<Reconciliation> asked = tool.kind() == Tool.Kind.BLOCKING
        ? CompletableFuture.supplyAsync(() -> tool.reconcile(args, m.context()), blocking).thenCompose(stage -> stage)
        : tool.reconcile(args, m.context());
    getContext().pipeToSelf(asked.toCompletableFuture().orTimeout(entry.timeout().toMillis(), TimeUnit.MILLISECONDS),
        (outcome, error) -> new Reconciled(m, outcome, error));
    return this;
  }

  private Behavior<ToolRegistry.Command> onReconciled(Reconciled m) {
    ToolCall call = m.request().call();
    Reconciliation.Outcome outcome = m.error() == null ? m.outcome().outcome() : Reconciliation.Outcome.UNKNOWN;
    switch (outcome) {
      case APPLIED -> m.request().reply(ToolResult.ok(call.id(), call.name(),
          m.outcome().output() == null ? NullNode.getInstance() : m.outcome().output()));
      case NOT_APPLIED -> onExecute(m.request().asExecute());
      default -> {
        String reason = m.error() != null ? errorMessage(m.error()) : m.outcome().reason();
        m.request().reply(ToolResult.failed(call.id(), call.name(),
            "the outcome of this call is unknown after a restart (" + reason + "); it was not run again, so that it "
                + "cannot take effect twice. Check its effect before you retry it."));
      }
    }
    return this;
  }

  private void launch(long runId) {
    Running run = running.get(runId);
    launch(runId, start(run.entry.tool(), run.args, run.request.context()));
  }

  private void launch(long runId, CompletionStage<JsonNode> started) {
    Running run = running.get(runId);
    run.started = true;
    inFlight.merge(run.name(), 1, Integer::sum);
    getContext().pipeToSelf(started, (output, error) -> new Finished(runId, output, error));
  }

  /** Frees a slot of {@code name} and starts the next waiting call, if any. */
  private void release(String name) {
    inFlight.merge(name, -1, Integer::sum);
    Deque<Long> queue = waiting.get(name);
    while (queue != null && !queue.isEmpty()) {
      long next = queue.pollFirst();
      if (running.containsKey(next)) {
        launch(next);
        return;
      }
    }
  }

  /** Invokes the tool: ASYNC here, BLOCKING on the blocking dispatcher. Never throws. */
  private CompletionStage<JsonNode> start(Tool tool, JsonNode args, ToolContext context) {
    if (tool.kind() == Tool.Kind.BLOCKING) {
      return CompletableFuture.supplyAsync(() -> tool.invoke(args, context), blocking).thenCompose(stage -> nonNull(stage));
    }
    try {
      return nonNull(tool.invoke(args, context));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static CompletionStage<JsonNode> nonNull(CompletionStage<JsonNode> stage) {
    return stage != null ? stage : CompletableFuture.failedFuture(new ToolException("the tool returned no result"));
  }

  private Behavior<ToolRegistry.Command> onFinished(Finished m) {
    Running run = running.remove(m.runId());
    if (run == null) {
      return this; // answered with a timeout already, and its slot freed then
    }
    timers.cancel(m.runId());
    release(run.name());
    run.request.reply(resultOf(run.callId(), run.name(), m.output(), m.error()));
    return this;
  }

  private Behavior<ToolRegistry.Command> onTimedOut(TimedOut m) {
    Running run = running.remove(m.runId());
    if (run == null) {
      return this;
    }
    if (run.started) {
      release(run.name());
    } else {
      Deque<Long> queue = waiting.get(run.name());
      if (queue != null) queue.remove(m.runId());
    }
    run.request.reply(ToolResult.failed(run.callId(), run.name(),
        "the tool '" + run.name() + "' timed out after " + run.entry.timeout().toMillis() + " ms"
            + (run.started ? "" : " waiting for a free slot")));
    return this;
  }

  /** Null or missing: no arguments. A JSON string holding an object is accepted too. */
  private static JsonNode arguments(JsonNode raw) {
    if (raw == null || raw.isNull() || raw.isMissingNode()) {
      return Json.object();
    }
    if (raw.isTextual()) {
      try {
        JsonNode parsed = raw.asText().isBlank() ? Json.object() : Json.parse(raw.asText());
        return parsed.isObject() ? parsed : null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return raw.isObject() ? raw : null;
  }

  /** Words a model can act on; no stack traces. */
  static String errorMessage(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage() == null ? "" : cause.getMessage().replaceAll("\\s+", " ").strip();
    String text;
    if (cause instanceof ToolException || cause instanceof IllegalArgumentException
        || cause instanceof StatusReply.ErrorMessage) {
      text = message.isEmpty() ? cause.getClass().getSimpleName() : message;
    } else if (cause instanceof TimeoutException) {
      text = "timed out" + (message.isEmpty() ? "" : ": " + message);
    } else {
      text = "unexpected error (" + cause.getClass().getSimpleName() + ")" + (message.isEmpty() ? "" : ": " + message);
    }
    return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR) + "...";
  }
}
