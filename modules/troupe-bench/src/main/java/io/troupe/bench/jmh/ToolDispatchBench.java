package io.troupe.bench.jmh;

import static java.lang.invoke.MethodType.methodType;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.tools.ToolRegistryActor;
import io.troupe.tools.builtin.CalculatorTool;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One calculator call through the tool registry actor (ask, validate, run, reply), and its parts
 * alone: the argument validation against the tool's JSON Schema, and the calculator itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ToolDispatchBench {

  private static final Class<?> VALIDATOR = Internals.type("io.troupe.tools.ArgumentValidator");
  private static final MethodHandle COMPILE = Internals.statik(VALIDATOR, "compile",
      methodType(VALIDATOR, JsonNode.class), methodType(Object.class, JsonNode.class));
  private static final MethodHandle VALIDATE = Internals.virtual(VALIDATOR, "validate",
      methodType(List.class, JsonNode.class), methodType(List.class, Object.class, JsonNode.class));

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private ActorSystem<Void> system;
  private ActorRef<ToolRegistry.Command> registry;
  private CalculatorTool calculator;
  private Object validator;
  private JsonNode arguments;
  private ToolCall call;
  private ToolContext context;

  @Setup(Level.Trial)
  public void setUp() throws Throwable {
    system = LocalSystem.create("tool-dispatch-bench");
    Config troupe = system.settings().config().getConfig("troupe");
    // No vector store and no database: the tools that need them are left out.
    registry = system.systemActorOf(ToolRegistryActor.create(troupe, null, null), "tool-registry", Props.empty());
    AskPattern.<ToolRegistry.Command, Lifecycle.Initialized>ask(registry, Lifecycle.Init::new, TIMEOUT,
        system.scheduler()).toCompletableFuture().get(5, TimeUnit.SECONDS); // blocking-ok: JMH setup thread
    calculator = new CalculatorTool();
    arguments = Json.object().put("expression", "(2340 * 17%) + 12.5 / 4");
    call = new ToolCall("call_1", CalculatorTool.NAME, arguments);
    context = new ToolContext("intent-1", "session-1", "call_1");
    validator = COMPILE.invokeExact((JsonNode) calculator.spec().parameters());
    ToolResult result = dispatch();
    if (result.isError()) throw new IllegalStateException("the sample call fails: " + result.error());
    if (!validate().isEmpty()) throw new IllegalStateException("the sample arguments are invalid: " + validate());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    system.terminate();
  }

  /** Execute through the registry, waiting for the reply (this thread is no actor: it may block). */
  @Benchmark
  public ToolResult dispatch() throws Exception {
    return AskPattern.<ToolRegistry.Command, ToolResult>ask(registry,
            replyTo -> new ToolRegistry.Execute(call, context, replyTo), TIMEOUT, system.scheduler())
        .toCompletableFuture().get(5, TimeUnit.SECONDS); // blocking-ok: the benchmark thread, no actor
  }

  /** The registry's schema check of the arguments, alone. */
  @Benchmark
  public List<?> validate() {
    try {
      return (List<?>) VALIDATE.invokeExact(validator, arguments);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The calculator alone: parse and evaluate the expression, build the output JSON. */
  @Benchmark
  public JsonNode calculate() {
    return calculator.invoke(arguments, context).toCompletableFuture().join(); // blocking-ok: completes at once
  }
}
