package io.troupe.testkit.tools;

import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A tool registry made of {@link FakeTool}s, standing in for the real one: spawn {@link
 * #behavior()} and hand it to the guardrail as its {@code tools} target. On start it publishes
 * the tools' catalog (specs and effect classes) to the system's {@link ToolCatalogs}, as the real
 * registry does, so the guardrail offers them to the model.
 *
 * <p>It answers every call, like the real registry: an unknown tool, a failure or a timeout is an
 * error result. A reconciliation after a crash is settled by the call's idempotency key: a call
 * that ran answers with its result (waiting for it if it still runs), one that started on a node
 * that died took effect there and answers with the tool's output, and one that never arrived runs
 * now. Spawned on several nodes ({@link io.troupe.testkit.nodes.TestNodes}), the registries share
 * the tools and what they applied: the world outside. Latencies and timeouts run on each system's
 * scheduler (ManualTime in tests).
 */
public final class FakeToolRegistry {

  private final Map<String, FakeTool> tools = new LinkedHashMap<>();
  private Duration timeout = Duration.ofSeconds(30);
  private boolean reconcileByRunningAgain;
  private volatile ActorRef<FakeTool.Call> observer;
  private final java.util.concurrent.CopyOnWriteArrayList<ActorRef<Object>> spawned =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  // The world's record of applied effects by idempotency key, shared by every node that runs this registry.
  private final Map<String, ToolResult> applied = new java.util.concurrent.ConcurrentHashMap<>();

  private FakeToolRegistry(List<FakeTool> tools) {
    tools.forEach(t -> this.tools.put(t.name(), t));
  }

  public static FakeToolRegistry of(FakeTool... tools) {
    return new FakeToolRegistry(List.of(tools));
  }

  /** A call still running after this long answers with a timeout error (default 30 s, like the real registry). */
  public FakeToolRegistry withTimeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  /** Sends each call, as it arrives, to {@code observer} (to wait for a call without polling); may be set once running. */
  public FakeToolRegistry observedBy(ActorRef<FakeTool.Call> observer) {
    this.observer = observer;
    return this;
  }

  /**
   * A deliberately wrong registry that runs a reconciled call again instead of settling it by its
   * key. For testing invariant checkers: a crash mid-effect then runs the effect twice.
   */
  public FakeToolRegistry reconcileByRunningAgain() {
    this.reconcileByRunningAgain = true;
    return this;
  }

  public FakeTool tool(String name) {
    return tools.get(name);
  }

  public List<FakeTool> tools() {
    return List.copyOf(tools.values());
  }

  /** Idempotency keys of side-effecting calls that ran more than once, as "tool key". */
  public List<String> effectsRunTwice() {
    List<String> out = new ArrayList<>();
    for (FakeTool t : tools.values()) {
      if (t.effect() == Tool.Effect.SIDE_EFFECTING) {
        t.keysRunMoreThanOnce().forEach(k -> out.add(t.name() + " " + k));
      }
    }
    return out;
  }

  /** Lets every call of {@code tool} that waits at its gate finish (on every node). Safe from any thread. */
  public void release(String tool) {
    if (spawned.isEmpty()) {
      throw new IllegalStateException("the registry has not started");
    }
    spawned.forEach(ref -> ref.tell(new Release(tool)));
  }

  private record Release(String tool) {}

  private record Finished(long id) {}

  private record TimedOut(long id) {}

  /** A call being run: who waits for it (the caller, then reconciliations of the same key). */
  private record Running(long id, FakeTool tool, ToolCall call, ToolContext context, List<Waiter> waiters) {}

  private record Waiter(long corr, String callId, ActorRef<ToolResult> replyTo) {}

  public Behavior<ToolRegistry.Command> behavior() {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      spawned.add(ctx.getSelf());
      List<ToolSpec> specs = tools.values().stream().map(FakeTool::spec).toList();
      Map<String, Tool.Effect> effects = new HashMap<>();
      tools.values().forEach(t -> effects.put(t.name(), t.effect()));
      ToolCatalogs.get(ctx.getSystem()).publish(specs, effects);
      return new State(timers).behavior(specs);
    })).narrow();
  }

  private final class State {
    private final TimerScheduler<Object> timers;
    private final Map<Long, Running> running = new HashMap<>();
    private final Map<String, Running> runningByKey = new HashMap<>();
    private final Map<String, List<Running>> parked = new HashMap<>();
    private long nextId;

    State(TimerScheduler<Object> timers) {
      this.timers = timers;
    }

    Behavior<Object> behavior(List<ToolSpec> specs) {
      return Behaviors.receive(Object.class)
          .onMessage(ToolRegistry.ListTools.class, m -> {
            m.replyTo().tell(new ToolRegistry.ToolList(specs, tools.values().stream()
                .filter(t -> t.effect() == Tool.Effect.SIDE_EFFECTING).map(FakeTool::name).toList()));
            return Behaviors.same();
          })
          .onMessage(ToolRegistry.Execute.class, m -> {
            execute(m.corr(), m.call(), m.context(), m.replyTo(), false);
            return Behaviors.same();
          })
          .onMessage(ToolRegistry.Reconcile.class, m -> {
            reconcile(m);
            return Behaviors.same();
          })
          .onMessage(ToolRegistry.Register.class, m -> {
            m.replyTo().tell(Done.getInstance());
            return Behaviors.same();
          })
          .onMessage(Finished.class, m -> {
            Running r = running.get(m.id());
            if (r != null) {
              if (r.tool().gated()) {
                parked.computeIfAbsent(r.tool().name(), k -> new ArrayList<>()).add(r);
              } else {
                complete(r, null);
              }
            }
            return Behaviors.same();
          })
          .onMessage(TimedOut.class, m -> {
            Running r = running.get(m.id());
            if (r != null) {
              complete(r, "the tool '" + r.tool().name() + "' timed out after " + timeout.toMillis() + " ms");
            }
            return Behaviors.same();
          })
          .onMessage(Release.class, m -> {
            List<Running> waiting = parked.remove(m.tool());
            if (waiting != null) {
              waiting.stream().filter(r -> running.containsKey(r.id())).forEach(r -> complete(r, null));
            }
            return Behaviors.same();
          })
          .build();
    }

    private void reconcile(ToolRegistry.Reconcile m) {
      FakeTool tool = tools.get(m.call().name());
      String key = m.context().idempotencyKey();
      if (tool == null || tool.effect() != Tool.Effect.SIDE_EFFECTING || reconcileByRunningAgain) {
        execute(m.corr(), m.call(), m.context(), m.replyTo(), true);
        return;
      }
      tool.record(new FakeTool.Call(tool.name(), m.call().arguments(), m.context(), true));
      if (observer != null) {
        observer.tell(new FakeTool.Call(tool.name(), m.call().arguments(), m.context(), true));
      }
      ToolResult done = applied.get(key);
      Running r = runningByKey.get(key);
      if (done != null) {
        m.replyTo().tell(new ToolResult(m.corr(), m.call().id(), done.name(), done.output(), done.error()));
      } else if (r != null) {
        r.waiters().add(new Waiter(m.corr(), m.call().id(), m.replyTo()));
      } else if (tool.executions(key) > 0) {
        // It started on a node that is gone: the service received it, so it took effect there.
        ToolResult result = ToolResult.ok(m.call().id(), tool.name(), tool.outputFor(m.call().arguments()));
        applied.put(key, result);
        m.replyTo().tell(new ToolResult(m.corr(), m.call().id(), result.name(), result.output(), result.error()));
      } else {
        start(tool, m.corr(), m.call(), m.context(), m.replyTo());
      }
    }

    private void execute(long corr, ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo,
        boolean reconcile) {
      FakeTool tool = tools.get(call.name());
      if (tool == null) {
        replyTo.tell(new ToolResult(corr, call.id(), call.name(), null, "unknown tool '" + call.name() + "'"));
        return;
      }
      FakeTool.Call seen = new FakeTool.Call(tool.name(), call.arguments(), context, reconcile);
      tool.record(seen);
      if (observer != null) {
        observer.tell(seen);
      }
      start(tool, corr, call, context, replyTo);
    }

    private void start(FakeTool tool, long corr, ToolCall call, ToolContext context, ActorRef<ToolResult> replyTo) {
      tool.started(context);
      long id = ++nextId;
      List<Waiter> waiters = new ArrayList<>();
      waiters.add(new Waiter(corr, call.id(), replyTo));
      Running r = new Running(id, tool, call, context, waiters);
      running.put(id, r);
      if (tool.effect() == Tool.Effect.SIDE_EFFECTING) {
        runningByKey.put(context.idempotencyKey(), r);
      }
      timers.startSingleTimer("timeout-" + id, new TimedOut(id), timeout);
      Duration latency = tool.latencyFor(call.arguments());
      if (latency.isZero() && !tool.gated()) {
        complete(r, null);
      } else {
        timers.startSingleTimer("done-" + id, new Finished(id), latency);
      }
    }

    private void complete(Running r, String forcedError) {
      running.remove(r.id());
      timers.cancel("timeout-" + r.id());
      timers.cancel("done-" + r.id());
      String error = forcedError != null ? forcedError : r.tool().errorFor(r.call().arguments());
      ToolResult result = error != null
          ? ToolResult.failed(r.call().id(), r.tool().name(), error)
          : ToolResult.ok(r.call().id(), r.tool().name(), r.tool().outputFor(r.call().arguments()));
      if (r.tool().effect() == Tool.Effect.SIDE_EFFECTING) {
        runningByKey.remove(r.context().idempotencyKey(), r);
        applied.put(r.context().idempotencyKey(), result);
      }
      for (Waiter w : r.waiters()) {
        w.replyTo().tell(new ToolResult(w.corr(), w.callId(), result.name(), result.output(), result.error()));
      }
    }
  }
}
