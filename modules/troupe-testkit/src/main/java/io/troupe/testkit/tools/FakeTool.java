package io.troupe.testkit.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A tool for tests, run by a {@link FakeToolRegistry}: a name, an effect class, an output, and
 * optionally a latency in virtual time, failures, and a gate that holds each call until the test
 * releases it. Every call is recorded; side-effecting calls are counted by idempotency key.
 */
public final class FakeTool {

  /** One call as the tool saw it. {@code reconcile} is true when it came as a reconciliation after a crash. */
  public record Call(String tool, JsonNode arguments, ToolContext context, boolean reconcile) {}

  private final String name;
  private final Tool.Effect effect;
  private Function<JsonNode, JsonNode> output = args -> Json.object().put("ok", true);
  private Function<JsonNode, Duration> latency = args -> Duration.ZERO;
  private Predicate<JsonNode> failsWhen = args -> false;
  private String failure = "the tool failed";
  private int failFirst;
  private boolean gated;
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, Integer> executionsByKey = new HashMap<>();
  private final List<String> runTwice = new ArrayList<>();

  private FakeTool(String name, Tool.Effect effect) {
    this.name = name;
    this.effect = effect;
  }

  /** A tool that only reads: safe to run again. */
  public static FakeTool readOnly(String name) {
    return new FakeTool(name, Tool.Effect.READ_ONLY);
  }

  /** A tool that changes the world: the runtime must never run one call of it twice. */
  public static FakeTool sideEffecting(String name) {
    return new FakeTool(name, Tool.Effect.SIDE_EFFECTING);
  }

  /** Its JSON output for given arguments (by default {@code {"ok":true}}). */
  public synchronized FakeTool returning(Function<JsonNode, JsonNode> output) {
    this.output = output;
    return this;
  }

  /** Each call takes this long on the actor system's clock. */
  public FakeTool withLatency(Duration latency) {
    return withLatency(args -> latency);
  }

  /** Each call takes as long as this says for its arguments. */
  public synchronized FakeTool withLatency(Function<JsonNode, Duration> latency) {
    this.latency = latency;
    return this;
  }

  /** The first {@code n} calls fail with {@code error}. */
  public synchronized FakeTool failingFirst(int n, String error) {
    this.failFirst = n;
    this.failure = error;
    return this;
  }

  /** Calls whose arguments match fail with {@code error}. */
  public synchronized FakeTool failingWhen(Predicate<JsonNode> when, String error) {
    this.failsWhen = when;
    this.failure = error;
    return this;
  }

  /** Each call waits, after its latency, until {@link FakeToolRegistry#release} lets it finish. */
  public synchronized FakeTool blockingUntilReleased() {
    this.gated = true;
    return this;
  }

  public String name() {
    return name;
  }

  public Tool.Effect effect() {
    return effect;
  }

  public ToolSpec spec() {
    return new ToolSpec(name, "a fake tool for tests", Json.object().put("type", "object"));
  }

  /** Every call so far, in arrival order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** How often a call with this idempotency key actually ran (started its effect). */
  public synchronized int executions(String idempotencyKey) {
    return executionsByKey.getOrDefault(idempotencyKey, 0);
  }

  /** The keys that ran more than once, in the order their second run came. */
  public synchronized List<String> keysRunMoreThanOnce() {
    return List.copyOf(runTwice);
  }

  // Used by the registry, inside its actor.

  synchronized void record(Call call) {
    calls.add(call);
  }

  /** Counts a run of the call; returns how often its key has run, this one included. */
  synchronized int started(ToolContext context) {
    int n = executionsByKey.merge(context.idempotencyKey(), 1, Integer::sum);
    if (n == 2) {
      runTwice.add(context.idempotencyKey());
    }
    return n;
  }

  synchronized Duration latencyFor(JsonNode args) {
    return latency.apply(args);
  }

  synchronized boolean gated() {
    return gated;
  }

  /** The error of this call, or null when it succeeds. */
  synchronized String errorFor(JsonNode args) {
    if (failFirst > 0) {
      failFirst--;
      return failure;
    }
    return failsWhen.test(args) ? failure : null;
  }

  synchronized JsonNode outputFor(JsonNode args) {
    return output.apply(args);
  }
}
