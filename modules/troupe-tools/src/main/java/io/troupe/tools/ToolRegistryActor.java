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
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import io.troupe.tools.builtin.BuiltinTools;
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
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * The tool registry subsystem. It holds the tools with their compiled argument schemas, and runs
 * each {@link ToolRegistry.Execute}: unknown tool, bad arguments, a failure or a timeout
 * ({@code troupe.tools.timeout}) all become an error {@link ToolResult}, and a result always goes
 * back. ASYNC tools are invoked here, BLOCKING ones on {@code troupe.tools.blocking-dispatcher};
 * either way the actor never waits, so many calls run at once.
 *
 * <p>{@link ToolRegistry.ListTools} answers with the specs even before Init: they are static.
 */
public final class ToolRegistryActor extends AbstractBehavior<ToolRegistry.Command> {

  /** The subsystem name used in readiness and errors. */
  public static final String NAME = Subsystems.TOOLS;

  private static final int MAX_ERROR = 500;

  private record Finished(long runId, JsonNode output, Throwable error) implements ToolRegistry.Command {}

  private record TimedOut(long runId) implements ToolRegistry.Command {}

  private record Running(ToolRegistry.Execute request) {
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
      List<Tool> extraTools) {
    List<Tool> extras = List.copyOf(extraTools);
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new ToolRegistryActor(ctx, timers, ToolSettings.fromConfig(troupe), vectorStore, database, extras)));
  }

  private final TimerScheduler<ToolRegistry.Command> timers;
  private final ToolSettings settings;
  private final Executor blocking;
  private final Map<String, Tool> tools = new LinkedHashMap<>();
  private final Map<String, ArgumentValidator> validators = new HashMap<>();
  private final Map<Long, Running> running = new HashMap<>();
  private boolean ready;
  private long nextRunId;

  private ToolRegistryActor(
      ActorContext<ToolRegistry.Command> ctx,
      TimerScheduler<ToolRegistry.Command> timers,
      ToolSettings settings,
      ActorRef<VectorStore.Command> vectorStore,
      ActorRef<Database.Command> database,
      List<Tool> extras) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(ToolSettings.BLOCKING_DISPATCHER));
    for (Tool tool : BuiltinTools.create(ctx.getSystem(), settings, vectorStore, database)) {
      tools.put(tool.spec().name(), tool);
    }
    for (Tool tool : extras) {
      tools.put(tool.spec().name(), tool);
    }
  }

  @Override
  public Receive<ToolRegistry.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(ToolRegistry.ListTools.class, this::onListTools)
        .onMessage(ToolRegistry.Register.class, this::onRegister)
        .onMessage(ToolRegistry.Execute.class, this::onExecute)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(TimedOut.class, this::onTimedOut)
        .build();
  }

  /** Compiles every schema; a tool whose schema does not compile answers its calls with the reason. */
  private Behavior<ToolRegistry.Command> onInit(Lifecycle.Init init) {
    validators.clear();
    List<String> broken = new ArrayList<>();
    tools.forEach((name, tool) -> {
      ArgumentValidator validator = ArgumentValidator.compile(tool.spec().parameters());
      validators.put(name, validator);
      if (!validator.usable()) broken.add(name);
    });
    if (!broken.isEmpty()) {
      getContext().getLog().warn("tools with an invalid parameter schema: {}", broken);
    }
    ready = true;
    init.replyTo().tell(Lifecycle.Initialized.ok(NAME));
    return this;
  }

  private Behavior<ToolRegistry.Command> onListTools(ToolRegistry.ListTools m) {
    m.replyTo().tell(new ToolRegistry.ToolList(tools.values().stream().map(Tool::spec).toList()));
    return this;
  }

  private Behavior<ToolRegistry.Command> onRegister(ToolRegistry.Register m) {
    String name = m.tool().spec().name();
    tools.put(name, m.tool());
    ArgumentValidator validator = ArgumentValidator.compile(m.tool().spec().parameters());
    validators.put(name, validator);
    if (!validator.usable()) {
      getContext().getLog().warn("tool '{}' registered with an invalid parameter schema", name);
    }
    m.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<ToolRegistry.Command> onExecute(ToolRegistry.Execute m) {
    ToolCall call = m.call();
    String callId = call.id();
    String name = call.name();
    if (!ready) {
      m.replyTo().tell(ToolResult.failed(callId, name, Lifecycle.unavailable(NAME, null)));
      return this;
    }
    Tool tool = tools.get(name);
    if (tool == null) {
      m.replyTo().tell(ToolResult.failed(callId, name,
          "unknown tool '" + name + "'; available tools: " + String.join(", ", tools.keySet())));
      return this;
    }
    JsonNode args = arguments(call.arguments());
    if (args == null) {
      m.replyTo().tell(ToolResult.failed(callId, name, "invalid arguments for '" + name + "': they must be a JSON object"));
      return this;
    }
    List<String> problems = validators.get(name).validate(args);
    if (!problems.isEmpty()) {
      m.replyTo().tell(ToolResult.failed(callId, name,
          "invalid arguments for '" + name + "': " + String.join("; ", problems) + ". Fix the arguments and call again."));
      return this;
    }
    long runId = nextRunId++;
    running.put(runId, new Running(m));
    timers.startSingleTimer(runId, new TimedOut(runId), settings.timeout());
    getContext().pipeToSelf(start(tool, args, m.context()), (output, error) -> new Finished(runId, output, error));
    return this;
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
      return this; // answered with a timeout already
    }
    timers.cancel(m.runId());
    ToolResult result = m.error() == null
        ? ToolResult.ok(run.callId(), run.name(), m.output() == null ? NullNode.getInstance() : m.output())
        : ToolResult.failed(run.callId(), run.name(), errorMessage(m.error()));
    run.request().replyTo().tell(result);
    return this;
  }

  private Behavior<ToolRegistry.Command> onTimedOut(TimedOut m) {
    Running run = running.remove(m.runId());
    if (run != null) {
      run.request().replyTo().tell(ToolResult.failed(run.callId(), run.name(),
          "the tool '" + run.name() + "' timed out after " + settings.timeout().toMillis() + " ms"));
    }
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
