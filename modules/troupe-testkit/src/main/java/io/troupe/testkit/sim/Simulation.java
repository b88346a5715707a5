package io.troupe.testkit.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.testkit.Inbox;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.tools.ToolResult;
import io.troupe.testkit.nodes.TestNodes;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A seeded simulation of many sessions running the real guardrail and session entities against a
 * {@link ScriptedModel} and {@link FakeTool}s, under virtual time, on one or more {@link TestNodes}
 * sharing an in-memory journal.
 *
 * <p>The seed makes the workload: intents that call zero to three tools at once (read-only and
 * side-effecting, with latencies), double-texting, cancellations, model faults, tool failures,
 * answers the guardrail denies, crashes of a session mid-run, restarted from its journal, and
 * optionally approvals (decided, or left to time out) and crashes of whole nodes.
 * After every event the runner checks:
 *
 * <ul>
 *   <li><b>every accepted intent ends</b> (at each settle point, within bounded virtual time);
 *   <li><b>no side effect runs twice</b> (by idempotency key);
 *   <li><b>every history stays valid</b> (each tool call has exactly one result, in call order) in
 *       every model request and every finished transcript;
 *   <li><b>no denied text reaches a client</b> (no answer matches a deny pattern);
 *   <li><b>tenants never see each other's data</b> (no model request or tool call mixes tenants);
 *   <li><b>approved calls run exactly once, rejected ones never</b> (checked when the intent ends).
 * </ul>
 *
 * <p>A violation throws {@link InvariantViolation} with the seed and the shortest event prefix
 * found to reproduce it. The workload is a pure function of the seed; the actors' interleaving
 * within a step of virtual time is not, so a prefix is confirmed by running it again.
 *
 * <pre>{@code
 * Simulation.Report r = Simulation.builder().seed(42).sessions(20).intents(1_000).build().run();
 * }</pre>
 */
public final class Simulation {

  /** Invariant names, as they appear in violations. */
  public static final String ENDS = "every accepted intent ends";
  public static final String ONCE = "no side effect runs twice";
  public static final String HISTORY = "every history stays valid";
  public static final String DENIED = "no denied text reaches a client";
  public static final String TENANTS = "tenants never see each other's data";
  public static final String APPROVALS = "approved calls run exactly once, rejected ones never";

  /** What a run did; {@code outcomes}: each accepted intent's number to its status and answer (or error code). */
  public record Report(long seed, int events, int submitted, int accepted, Map<IntentStatus, Integer> ended,
      int crashes, int cancels, int modelRequests, int toolCalls, int timeSteps, Duration virtualTime,
      Duration wallTime, int nodeCrashes, int approved, int rejected, int timedOut,
      java.util.SortedMap<Integer, String> outcomes) {
    @Override
    public String toString() {
      return "seed=" + seed + " events=" + events + " submitted=" + submitted + " accepted=" + accepted
          + " ended=" + ended + " crashes=" + crashes + " cancels=" + cancels + " modelRequests=" + modelRequests
          + " toolCalls=" + toolCalls + " nodeCrashes=" + nodeCrashes + " approvals(approved=" + approved
          + " rejected=" + rejected + " timedOut=" + timedOut + ") timeSteps=" + timeSteps + " virtual=" + virtualTime
          + " wall=" + wallTime.toMillis() + "ms";
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Sizes and rates of the workload; every rate is a probability per intent. */
  public static final class Builder {
    private long seed = 1;
    private int sessions = 8;
    private int intents = 100;
    private int tenants = 3;
    private int settleEvery = 100;
    private double doubleText = 0.10;
    private double cancel = 0.05;
    private double crash = 0.03;
    private double modelFault = 0.04;
    private double toolFailure = 0.05;
    private double deniedAnswer = 0.03;
    private double advance = 0.01;
    private int nodes = 1;
    private double approval;
    private double decide = 0.8;
    private double nodeCrash;
    private boolean faultyReconcile;
    private boolean faultyApprovedCalls;
    private boolean duplicateModelDeliveries;
    private int maxShrinkRuns = 10;

    public Builder seed(long seed) { this.seed = seed; return this; }
    public Builder sessions(int n) { this.sessions = n; return this; }
    public Builder intents(int n) { this.intents = n; return this; }
    public Builder tenants(int n) { this.tenants = n; return this; }
    /** Intents between settle points, where the driver waits for every accepted intent to end. */
    public Builder settleEvery(int n) { this.settleEvery = n; return this; }
    public Builder doubleTextRate(double p) { this.doubleText = p; return this; }
    public Builder cancelRate(double p) { this.cancel = p; return this; }
    public Builder crashRate(double p) { this.crash = p; return this; }
    public Builder modelFaultRate(double p) { this.modelFault = p; return this; }
    public Builder toolFailureRate(double p) { this.toolFailure = p; return this; }
    public Builder deniedAnswerRate(double p) { this.deniedAnswer = p; return this; }
    /**
     * Virtual time passing between two intents (up to 400 ms, so runs are caught mid-tool). Each
     * costs about 100 ms of real time: Pekko's ManualTime lets dispatchers settle before it advances.
     */
    public Builder advanceRate(double p) { this.advance = p; return this; }
    /** Nodes (actor systems) on one shared journal; sessions start spread over them. */
    public Builder nodes(int n) { this.nodes = n; return this; }
    /** Intents that also call {@code transfer}, a side effect that needs a person's approval (default 0). */
    public Builder approvalRate(double p) { this.approval = p; return this; }
    /** The share of approvals a person decides (70% approve); the rest time out (default 0.8). */
    public Builder decideRate(double p) { this.decide = p; return this; }
    /** A node dies and is replaced; its sessions move to the next node (default 0). */
    public Builder nodeCrashRate(double p) { this.nodeCrash = p; return this; }
    /** How many extra runs the prefix shrinker may spend on a violation. */
    public Builder maxShrinkRuns(int n) { this.maxShrinkRuns = n; return this; }
    /**
     * Runs against a deliberately wrong tool registry that runs a reconciled side effect again:
     * for checking that the checker catches it.
     */
    public Builder faultyReconcile() { this.faultyReconcile = true; return this; }
    /**
     * Runs behind a deliberately wrong guardrail that answers an approved call with a made-up
     * success instead of running it: for checking that the approvals invariant catches it.
     */
    public Builder faultyApprovedCalls() { this.faultyApprovedCalls = true; return this; }
    /** Every model call reaches the model twice, so every reply comes twice (see {@link io.troupe.testkit.faults.Faults#duplicating}). */
    public Builder duplicateModelDeliveries() { this.duplicateModelDeliveries = true; return this; }

    public Simulation build() {
      return new Simulation(this);
    }
  }

  private final Builder b;
  private final List<SimEvent> events;

  private Simulation(Builder b) {
    this.b = b;
    this.events = generate(b);
  }

  /** The workload the seed makes. */
  public List<SimEvent> events() {
    return events;
  }

  /** Runs the whole workload; on a violation, shrinks it and throws {@link InvariantViolation}. */
  public Report run() {
    Found found = runEvents(events);
    if (found.violation == null) {
      return found.report;
    }
    // Shrink: the shortest prefix (ending at or before the failing event) that still breaks the same invariant.
    int lo = 1;
    int hi = found.violation.atEvent + 1;
    Failure best = found.violation;
    int runs = 0;
    while (lo < hi && runs < b.maxShrinkRuns) {
      int mid = (lo + hi) >>> 1;
      runs++;
      Found f = runEvents(events.subList(0, mid));
      if (f.violation != null && f.violation.invariant.equals(found.violation.invariant)) {
        hi = Math.min(mid, f.violation.atEvent + 1);
        best = f.violation;
      } else {
        lo = mid + 1;
      }
    }
    throw new InvariantViolation(b.seed, best.invariant, best.detail, events.subList(0, hi), events.size());
  }

  /** Runs the first {@code n} events of the workload (and a final settle): a replay of a reported prefix. */
  public Report runPrefix(int n) {
    Found f = runEvents(events.subList(0, n));
    if (f.violation != null) {
      throw new InvariantViolation(b.seed, f.violation.invariant, f.violation.detail, events.subList(0, n), events.size());
    }
    return f.report;
  }

  // The workload.

  private static final String[] TOOLS = {"lookup", "calc", "charge", "notify"};
  private static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S+)");
  private static final Pattern SECRET = Pattern.compile("secret-t\\d+");

  private static List<SimEvent> generate(Builder b) {
    SplittableRandom r = new SplittableRandom(b.seed);
    List<SimEvent> out = new ArrayList<>();
    int n = 0;
    int sinceSettle = 0;
    while (n < b.intents) {
      int s = r.nextInt(b.sessions);
      boolean approval = b.approval > 0 && r.nextDouble() < b.approval; // no draw when off: old seeds replay
      out.add(new SimEvent.Submit(s, n, text(r, b, s, n, approval)));
      int first = n++;
      sinceSettle++;
      if (approval && r.nextDouble() < b.decide) {
        out.add(new SimEvent.Decide(s, first, r.nextDouble() < 0.7));
      }
      if (n < b.intents && r.nextDouble() < b.doubleText) {
        out.add(new SimEvent.Submit(s, n, text(r, b, s, n, false)));
        n++;
        sinceSettle++;
      }
      if (r.nextDouble() < b.cancel) {
        out.add(new SimEvent.Cancel(s, first));
      }
      if (r.nextDouble() < b.crash) {
        out.add(new SimEvent.Crash(s));
      }
      if (b.nodeCrash > 0 && r.nextDouble() < b.nodeCrash) {
        out.add(new SimEvent.NodeCrash(r.nextInt(b.nodes)));
      }
      if (r.nextDouble() < b.advance) {
        out.add(new SimEvent.Advance(r.nextInt(1, 400)));
      }
      if (sinceSettle >= b.settleEvery) {
        out.add(new SimEvent.Settle());
        sinceSettle = 0;
      }
    }
    return List.copyOf(out);
  }

  private static String tenant(int session, int tenants) {
    return "t" + (session % tenants);
  }

  private static String text(SplittableRandom r, Builder b, int s, int n, boolean approval) {
    String t = tenant(s, b.tenants);
    StringBuilder sb = new StringBuilder("sim n=").append(n).append(" tenant=").append(t)
        .append(" secret=secret-").append(t).append(" plan=");
    int k = r.nextInt(4);
    List<String> plan = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      plan.add(TOOLS[r.nextInt(TOOLS.length)] + ":" + (r.nextInt(5) * 100));
    }
    if (approval) {
      plan.add("transfer:" + (r.nextInt(5) * 100));
    }
    sb.append(plan.isEmpty() ? "-" : String.join(",", plan));
    sb.append(" fail=").append(k > 0 && r.nextDouble() < b.toolFailure ? r.nextInt(k) : -1);
    String fault = "-";
    if (r.nextDouble() < b.modelFault) {
      fault = new String[] {"429", "500", "hang", "cut"}[r.nextInt(4)];
    }
    sb.append(" model=").append(fault);
    sb.append(" deny=").append(r.nextDouble() < b.deniedAnswer ? 1 : 0);
    return sb.toString();
  }

  private static Map<String, String> fields(String text) {
    Map<String, String> out = new HashMap<>();
    Matcher m = FIELD.matcher(text);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  /** The intent's own message: the last user message that is not a guardrail reprompt. */
  private static String intentText(ChatRequest r) {
    List<ChatMessage> ms = r.messages();
    for (int i = ms.size() - 1; i >= 0; i--) {
      ChatMessage m = ms.get(i);
      if (m.role() == ChatMessage.Role.USER && !m.content().startsWith("[guardrail]")) {
        return m.content();
      }
    }
    return "";
  }

  private static Reply answer(ChatRequest r, boolean clean) {
    Map<String, String> f = fields(intentText(r));
    String text = "done n=" + f.get("n") + " for " + f.get("tenant") + " " + f.get("secret");
    return Reply.text(!clean && "1".equals(f.get("deny")) ? text + " now run rm -rf / please" : text);
  }

  private static ScriptedModel model() {
    return ScriptedModel.create()
        .when(Requests.lastUserMessageContains("[guardrail]"), r -> answer(r, true))
        .when(Requests.hasToolResult(), r -> answer(r, false))
        .when(Requests.lastUserMessageContains("model=429"), Reply.rateLimited(Duration.ofSeconds(1)))
        .when(Requests.lastUserMessageContains("model=500"), Reply.serverError())
        .when(Requests.lastUserMessageContains("model=hang"), Reply.hang())
        .when(Requests.lastUserMessageContains("model=cut"), Reply.cutStream("do", "ne"))
        .when(Requests.lastUserMessageMatches("plan=\\w"), r -> {
          Map<String, String> f = fields(intentText(r));
          String[] steps = f.get("plan").split(",");
          int fail = Integer.parseInt(f.get("fail"));
          List<ToolCall> calls = new ArrayList<>();
          for (int i = 0; i < steps.length; i++) {
            String[] p = steps[i].split(":");
            ObjectNode args = Json.object().put("ms", Integer.parseInt(p[1])).put("tenant", f.get("tenant"))
                .put("n", Integer.parseInt(f.get("n"))).put("fail", i == fail);
            calls.add(new ToolCall("c" + (i + 1), p[0], args));
          }
          return Reply.toolCalls(calls.toArray(ToolCall[]::new));
        })
        .otherwise(r -> answer(r, false));
  }

  private static FakeTool tool(FakeTool t) {
    return t.withLatency(args -> Duration.ofMillis(args.path("ms").asLong()))
        .failingWhen(args -> args.path("fail").asBoolean(), "simulated failure")
        .returning(args -> Json.object().put("tenant", args.path("tenant").asText()).put("n", args.path("n").asInt()));
  }

  /** The wrong guardrail of {@link Builder#faultyApprovedCalls}: approved calls "succeed" without running. */
  private static Behavior<Guardrail.Command> skippingApprovedCalls(ActorRef<Guardrail.Command> guardrail) {
    return Behaviors.receiveMessage(m -> {
      if (m instanceof Guardrail.RouteToolCalls r && !r.approved().isEmpty()) {
        for (int i : r.indices()) {
          ToolCall c = r.calls().get(i);
          r.replyTo().tell(new ToolResult(r.corr() + i, c.id(), c.name(), Json.object().put("ok", true), null));
        }
      } else {
        guardrail.tell(m);
      }
      return Behaviors.same();
    });
  }

  // The runner.

  private record Failure(String invariant, String detail, int atEvent) {}

  private record Found(Report report, Failure violation) {}

  private record Accepted(int session, int n, String intentId) {}

  private Found runEvents(List<SimEvent> workload) {
    var overrides = ConfigFactory.parseString(
        "pekko.loglevel = ERROR\n"
            + "pekko.log-dead-letters = off\n"
            + "pekko.log-dead-letters-during-shutdown = off\n"
            + "troupe.agent.model-timeout = 5s\n"
            + "troupe.agent.deadline = 60s\n"
            + "troupe.agent.history-messages = 8\n"
            + "troupe.guardrail.require-approval = [transfer]\n"
            + "troupe.guardrail.approval-timeout = 10s\n");
    ScriptedModel model = model();
    FakeToolRegistry reg = FakeToolRegistry.of(tool(FakeTool.readOnly("lookup")), tool(FakeTool.readOnly("calc")),
        tool(FakeTool.sideEffecting("charge")), tool(FakeTool.sideEffecting("notify")),
        tool(FakeTool.sideEffecting("transfer")))
        .withTimeout(Duration.ofSeconds(10));
    FakeToolRegistry registry = b.faultyReconcile ? reg.reconcileByRunningAgain() : reg;
    // The driver's inboxes live apart from the nodes, which may die.
    ActorTestKit clients = ActorTestKit.create("sim-" + b.seed + "-clients",
        ConfigFactory.parseString("pekko.loglevel = ERROR\npekko.log-dead-letters = off"));
    TestNodes nodes = null;
    try {
      Inbox<FakeTool.Call> toolCalls = Inbox.create(clients);
      registry.observedBy(toolCalls.ref());
      nodes = TestNodes.start(b.nodes, overrides, kit -> {
        var llm = kit.spawn(model.behavior());
        TestAgent agent = TestAgent.start(kit,
            b.duplicateModelDeliveries ? kit.spawn(io.troupe.testkit.faults.Faults.duplicating(llm)) : llm,
            kit.spawn(registry.behavior()));
        return b.faultyApprovedCalls ? agent.withGuardrailLink(Simulation::skippingApprovedCalls) : agent;
      });
      return new Driver(clients, nodes, model, registry, toolCalls, workload).run();
    } finally {
      if (nodes != null) nodes.close();
      clients.shutdownTestKit();
    }
  }

  private final class Driver {
    private final ActorTestKit clients;
    private final TestNodes nodes;
    private final List<SimEvent> workload;
    private final ScriptedModel model;
    private final FakeToolRegistry registry;
    private final FakeTool transfer;
    private final Inbox<FakeTool.Call> toolCalls;
    private final Inbox<StatusReply<IntentView>> submitted;
    private final Inbox<StatusReply<IntentView>> endings;
    private final List<ActorRef<SessionEntity.Command>> sessions = new ArrayList<>();
    private final int[] hostOf;
    private final Map<Integer, Accepted> acceptedByN = new HashMap<>();
    private final Map<Integer, Integer> sessionOfN = new HashMap<>();
    private int answeredSubmissions;
    private final Map<String, Accepted> open = new LinkedHashMap<>();
    private final Map<IntentStatus, Integer> ended = new EnumMap<>(IntentStatus.class);
    private final Map<Integer, Integer> journalSeen = new HashMap<>();
    private final Set<String> endedIds = new HashSet<>();
    // Approvals: decisions waiting for their request, and what the journal says of each intent's.
    private final Map<String, Boolean> decisionsDue = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> approvalCalls = new HashMap<>();
    private final Map<String, Map<String, Boolean>> decidedCalls = new HashMap<>();
    private final Map<String, Map<String, String>> effectKeys = new HashMap<>();
    private final java.util.TreeMap<Integer, String> outcomes = new java.util.TreeMap<>();
    private int submittedCount;
    private int crashes;
    private int nodeCrashes;
    private int cancels;
    private int approved;
    private int rejected;
    private int timedOut;
    private int modelRequests;
    private int toolCallCount;
    private long virtualMillis;
    private int timeSteps;

    Driver(ActorTestKit clients, TestNodes nodes, ScriptedModel model, FakeToolRegistry registry,
        Inbox<FakeTool.Call> toolCalls, List<SimEvent> workload) {
      this.clients = clients;
      this.nodes = nodes;
      this.model = model;
      this.registry = registry;
      this.transfer = registry.tool("transfer");
      this.toolCalls = toolCalls;
      this.workload = workload;
      this.submitted = Inbox.create(clients);
      this.endings = Inbox.create(clients);
      this.hostOf = new int[b.sessions];
      for (int i = 0; i < b.sessions; i++) {
        hostOf[i] = i % nodes.size();
        sessions.add(nodes.node(hostOf[i]).session(sessionId(i)));
      }
    }

    private List<Object> journal(int session) {
      return nodes.journal().events("Session|" + sessionId(session));
    }

    private String sessionId(int i) {
      return "sim-" + i;
    }

    Found run() {
      long start = System.nanoTime();
      int i = 0;
      Failure failure = null;
      for (; i < workload.size() && failure == null; i++) {
        failure = apply(workload.get(i), i);
        if (failure == null) {
          failure = checkSafety(i);
        }
      }
      if (failure == null) {
        failure = settle(Math.max(0, workload.size() - 1));
        if (failure == null) {
          failure = checkSafety(Math.max(0, workload.size() - 1));
        }
      }
      Report report = new Report(b.seed, workload.size(), submittedCount, acceptedByN.size(), Map.copyOf(ended),
          crashes, cancels, modelRequests, toolCallCount, timeSteps, Duration.ofMillis(virtualMillis),
          Duration.ofNanos(System.nanoTime() - start), nodeCrashes, approved, rejected, timedOut,
          java.util.Collections.unmodifiableSortedMap(outcomes));
      return new Found(report, failure);
    }

    private Failure apply(SimEvent e, int index) {
      if (e instanceof SimEvent.Submit s) {
        submittedCount++;
        sessionOfN.put(s.n(), s.session());
        sessions.get(s.session()).tell(new SessionEntity.Submit(s.text(), null, null, submitted.ref()));
      } else if (e instanceof SimEvent.Cancel c) {
        Failure f = awaitSubmissions(index, () -> acceptedByN.containsKey(c.n()) || answeredSubmissions == submittedCount);
        if (f != null) {
          return f;
        }
        Accepted a = acceptedByN.get(c.n());
        if (a != null) {
          cancels++;
          sessions.get(c.session()).tell(new SessionEntity.Cancel(a.intentId(), clients.system().ignoreRef()));
        }
      } else if (e instanceof SimEvent.Crash c) {
        // The clients have their answers first: a submission the crash swallows was never accepted.
        Failure f = awaitSubmissions(index, () -> answeredSubmissions == submittedCount);
        if (f != null) {
          return f;
        }
        crashes++;
        sessions.set(c.session(), nodes.node(hostOf[c.session()]).restart(sessions.get(c.session()), sessionId(c.session())));
      } else if (e instanceof SimEvent.NodeCrash c) {
        Failure f = awaitSubmissions(index, () -> answeredSubmissions == submittedCount);
        if (f != null) {
          return f;
        }
        nodeCrashes++;
        int dead = c.node() % nodes.size();
        int heir = (dead + 1) % nodes.size(); // itself when there is one node: a restart
        nodes.restart(dead);
        for (int s = 0; s < b.sessions; s++) {
          if (hostOf[s] == dead) {
            hostOf[s] = heir;
            sessions.set(s, nodes.node(heir).session(sessionId(s)));
          }
        }
      } else if (e instanceof SimEvent.Decide d) {
        Failure f = awaitSubmissions(index, () -> acceptedByN.containsKey(d.n()) || answeredSubmissions == submittedCount);
        if (f != null) {
          return f;
        }
        Accepted a = acceptedByN.get(d.n());
        if (a != null && !endedIds.contains(a.intentId())) {
          decisionsDue.put(a.intentId(), d.approve());
          sendDueDecisions();
        }
      } else if (e instanceof SimEvent.Advance a) {
        advance(a.millis());
      } else if (e instanceof SimEvent.Settle) {
        return settle(index);
      }
      return null;
    }

    /** Takes the submissions' answers that have come. */
    private void drainSubmissions() {
      for (StatusReply<IntentView> reply = submitted.poll(); reply != null; reply = submitted.poll()) {
        takeSubmission(reply);
      }
    }

    private void takeSubmission(StatusReply<IntentView> reply) {
      answeredSubmissions++;
      if (reply.isSuccess()) {
        IntentView v = reply.getValue();
        int n = Integer.parseInt(fields(v.text()).get("n"));
        Accepted a = new Accepted(sessionOfN.get(n), n, v.id());
        acceptedByN.put(n, a);
        if (!endedIds.contains(a.intentId())) {
          open.put(a.intentId(), a);
        }
      }
    }

    /** Waits (bounded, real time) for submissions' answers until {@code done} holds. */
    private Failure awaitSubmissions(int index, java.util.function.BooleanSupplier done) {
      drainSubmissions();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!done.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          return new Failure(ENDS, (submittedCount - answeredSubmissions) + " submissions got no answer", index);
        }
        StatusReply<IntentView> reply = submitted.poll(Duration.ofMillis(100));
        if (reply != null) {
          takeSubmission(reply);
        }
      }
      return null;
    }

    /** Sends each due decision whose approval the journal shows requested and undecided. */
    private void sendDueDecisions() {
      var due = decisionsDue.entrySet().iterator();
      for (int k = 0; k < 100_000 && due.hasNext(); k++) {
        var d = due.next();
        Accepted a = open.get(d.getKey());
        if (a == null) {
          due.remove(); // it ended
          continue;
        }
        String requested = null;
        boolean decided = false;
        for (Object ev : journal(a.session())) {
          if (ev instanceof SessionEntity.ApprovalRequested r && r.intentId().equals(a.intentId())) {
            requested = r.approvalId();
          } else if (ev instanceof SessionEntity.ApprovalDecided x && x.intentId().equals(a.intentId())) {
            decided = true;
          }
        }
        if (decided) {
          due.remove(); // timed out first
        } else if (requested != null) {
          due.remove();
          sessions.get(a.session()).tell(new SessionEntity.DecideApproval(a.intentId(), requested, d.getValue(),
              "sim", clients.system().ignoreRef()));
        }
      }
    }

    private void advance(long millis) {
      Set<Integer> hosting = new HashSet<>();
      for (int h : hostOf) {
        hosting.add(h);
      }
      hosting.forEach(h -> nodes.node(h).time().timePasses(Duration.ofMillis(millis)));
      timeSteps++;
      virtualMillis += millis;
    }

    /** Waits for every open intent to end; advances virtual time when nothing arrives. */
    private Failure settle(int index) {
      Failure missing = awaitSubmissions(index, () -> answeredSubmissions == submittedCount);
      if (missing != null) {
        return missing;
      }
      // Intents that ended long ago may be known only to the journal (a session keeps a few in memory).
      Failure fromJournal = checkJournals(index);
      if (fromJournal != null) {
        return fromJournal;
      }
      for (Accepted a : open.values()) {
        sessions.get(a.session()).tell(new SessionEntity.AwaitTerminal(a.intentId(), endings.ref()));
      }
      boolean unknownToSession = false;
      long step = 1_000;
      long waited = 0;
      long limit = 5 * 60_000; // virtual: well past the deadline of every intent
      while (!open.isEmpty()) {
        StatusReply<IntentView> reply = endings.poll(Duration.ofMillis(15));
        if (reply != null) {
          if (reply.isSuccess()) {
            Failure f = ended(reply.getValue(), index);
            if (f != null) {
              return f;
            }
          } else {
            unknownToSession = true;
          }
          step = 1_000;
          continue;
        }
        if (unknownToSession) {
          unknownToSession = false;
          Failure f = checkJournals(index);
          if (f != null) {
            return f;
          }
          continue;
        }
        if (!decisionsDue.isEmpty()) {
          sendDueDecisions();
        }
        if (waited >= limit) {
          return new Failure(ENDS, open.size() + " accepted intents did not end within " + limit / 1000
              + " s of virtual time: " + describe(open.values().stream().limit(5).toList()), index);
        }
        advance(step);
        waited += step;
        step = Math.min(step * 2, 8_000);
      }
      return checkJournals(index);
    }

    /** What the sessions say of these intents (status and last steps), for a failure message. */
    private List<String> describe(List<Accepted> intents) {
      List<String> out = new ArrayList<>();
      Inbox<StatusReply<IntentView>> views = Inbox.create(clients);
      for (Accepted a : intents) {
        sessions.get(a.session()).tell(new SessionEntity.Get(a.intentId(), views.ref()));
        StatusReply<IntentView> v = views.poll(Duration.ofSeconds(3));
        if (v == null || !v.isSuccess()) {
          List<String> journaled = journal(a.session()).stream()
              .filter(ev -> ev.toString().contains(a.intentId() + ","))
              .map(ev -> ev.getClass().getSimpleName()).toList();
          out.add(a.intentId() + " (n=" + a.n() + "): " + (v == null ? "the session did not answer" : v.getError().getMessage())
              + ", journal: " + journaled);
        } else {
          IntentView iv = v.getValue();
          List<String> steps = iv.steps() == null ? List.of()
              : iv.steps().stream().map(st -> st.kind() + ":" + st.name() + ":" + st.status()).toList();
          out.add(a.intentId() + " (n=" + a.n() + ") " + iv.status() + " steps="
              + steps.subList(Math.max(0, steps.size() - 6), steps.size()));
        }
      }
      return out;
    }

    private Failure ended(IntentView view, int index) {
      if (!view.status().isTerminal()) {
        return new Failure(ENDS, view.id() + " was reported ended as " + view.status(), index);
      }
      Accepted a = open.remove(view.id());
      if (a == null || !endedIds.add(view.id())) {
        return null;
      }
      ended.merge(view.status(), 1, Integer::sum);
      outcomes.put(a.n(), outcome(view.status(), view.outcome()));
      String answer = view.outcome() == null ? null : view.outcome().answer();
      if (answer != null && answer.contains("rm -rf")) {
        return new Failure(DENIED, view.id() + " answered a client with denied text: " + answer, index);
      }
      return null;
    }

    private Failure checkSafety(int index) {
      drainSubmissions();
      List<String> twice = registry.effectsRunTwice();
      if (!twice.isEmpty()) {
        return new Failure(ONCE, "side effects run more than once: " + twice, index);
      }
      for (ChatRequest r : model.takeRequests()) {
        modelRequests++;
        String problem = Histories.problem(r.messages());
        if (problem != null) {
          return new Failure(HISTORY, "a model request for '" + Requests.lastUserMessage(r) + "': " + problem, index);
        }
        Set<String> secrets = new HashSet<>();
        for (ChatMessage m : r.messages()) {
          Matcher sm = SECRET.matcher(m.content());
          while (sm.find()) {
            secrets.add(sm.group());
          }
        }
        if (secrets.size() > 1) {
          return new Failure(TENANTS, "one model request holds the data of several tenants: " + secrets, index);
        }
      }
      for (FakeTool.Call c = toolCalls.poll(); c != null; c = toolCalls.poll()) {
        toolCallCount++;
        int session = Integer.parseInt(c.context().sessionId().substring("sim-".length()));
        String expected = tenant(session, b.tenants);
        JsonNode tenant = c.arguments().get("tenant");
        if (tenant == null || !expected.equals(tenant.asText())) {
          return new Failure(TENANTS, "session " + c.context().sessionId() + " of tenant " + expected
              + " called " + c.tool() + " with the data of " + tenant, index);
        }
      }
      return null;
    }

    /**
     * Follows a session's journal: which call each approval holds, how it was decided, and the
     * effect key it ran under. When its intent ends, an approved call of a succeeded intent ran
     * exactly once, and a rejected one (by a person or the timeout) never ran.
     */
    private Failure trackApprovals(Object event, int index) {
      if (event instanceof SessionEntity.ApprovalRequested r) {
        approvalCalls.computeIfAbsent(r.intentId(), k -> new HashMap<>()).put(r.approvalId(), r.callId());
      } else if (event instanceof SessionEntity.ApprovalDecided d) {
        String callId = approvalCalls.getOrDefault(d.intentId(), Map.of()).get(d.approvalId());
        if (callId != null) {
          decidedCalls.computeIfAbsent(d.intentId(), k -> new HashMap<>()).put(callId, d.approved());
        }
        if (d.approved()) {
          approved++;
        } else if (d.comment() != null && d.comment().startsWith("not decided within")) {
          timedOut++;
        } else {
          rejected++;
        }
      } else if (event instanceof SessionEntity.ToolEffectStarted t) {
        effectKeys.computeIfAbsent(t.intentId(), k -> new HashMap<>()).put(t.callId(), t.idempotencyKey());
      } else if (event instanceof SessionEntity.IntentFinished f) {
        approvalCalls.remove(f.intentId());
        Map<String, String> keys = effectKeys.remove(f.intentId());
        Map<String, Boolean> decided = decidedCalls.remove(f.intentId());
        if (decided == null) {
          return null;
        }
        List<FakeTool.Call> transfers = null;
        for (var d : decided.entrySet()) {
          String call = f.intentId() + " " + d.getKey();
          if (d.getValue() && f.status() == IntentStatus.SUCCEEDED) {
            String key = keys == null ? null : keys.get(d.getKey());
            int runs = key == null ? 0 : transfer.executions(key);
            if (runs != 1) {
              return new Failure(APPROVALS, "the approved call " + call + " ran " + runs + " times", index);
            }
          } else if (!d.getValue()) {
            if (transfers == null) {
              transfers = transfer.calls();
            }
            if (transfers.stream().anyMatch(c -> c.context().intentId().equals(f.intentId())
                && c.context().callId().equals(d.getKey()))) {
              return new Failure(APPROVALS, "the rejected call " + call + " ran", index);
            }
          }
        }
      }
      return null;
    }

    private static String outcome(IntentStatus status, io.troupe.core.session.Outcome outcome) {
      if (outcome == null) {
        return status.json();
      }
      return status.json() + " " + (outcome.answer() != null ? outcome.answer() : outcome.errorCode());
    }

    /** Every finished transcript in the journal is a valid history. */
    private Failure checkJournals(int index) {
      for (int s = 0; s < b.sessions; s++) {
        List<Object> events = journal(s);
        int from = journalSeen.getOrDefault(s, 0);
        for (int i = from; i < events.size(); i++) {
          Failure approvals = trackApprovals(events.get(i), index);
          if (approvals != null) {
            return approvals;
          }
          if (events.get(i) instanceof SessionEntity.IntentFinished f) {
            if (f.status() == IntentStatus.SUCCEEDED && f.transcript() != null) {
              String problem = Histories.problem(f.transcript());
              if (problem != null) {
                return new Failure(HISTORY, "the journaled transcript of " + f.intentId() + ": " + problem, index);
              }
            }
            Accepted a = open.remove(f.intentId());
            if (a != null && endedIds.add(f.intentId())) {
              ended.merge(f.status(), 1, Integer::sum);
              outcomes.put(a.n(), outcome(f.status(), f.outcome()));
              String answer = f.outcome() == null ? null : f.outcome().answer();
              if (answer != null && answer.contains("rm -rf")) {
                return new Failure(DENIED, f.intentId() + " answered a client with denied text: " + answer, index);
              }
            }
          }
        }
        journalSeen.put(s, events.size());
      }
      return null;
    }
  }
}
