package io.troupe.examples;

import io.troupe.api.IntentResult;
import io.troupe.api.Troupe;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.tools.api.ParamType;
import io.troupe.tools.api.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A support service that embeds Troupe: its own tool (order status from its own data), its own
 * guardrail policy (order numbers of other shops are refused), two agents, one calling the other
 * (the front desk {@code support} asks the {@code orders} agent, as the tool {@code agent_orders}),
 * and intents submitted in-process.
 * Runs on the built-in {@code local} model, so it needs no key: {@code mvn -pl examples/embedded-service
 * exec:java} or its test.
 */
public final class SupportService {

  /** The service's own data. */
  private static final Map<String, String> ORDERS = Map.of("A-100", "shipped", "A-101", "packing");

  /** The service's own policy: only this shop's order numbers (A-...) may be looked up. */
  record OwnOrdersOnly() implements GuardrailPolicy {
    @Override
    public String name() {
      return "own-orders-only";
    }

    @Override
    public Verdict check(GuardTarget target) {
      if (target.kind() == GuardTarget.Kind.TOOL_CALL && "order_status".equals(target.tool())
          && !Json.parse(target.text()).path("order").asText().startsWith("A-")) {
        return Verdict.deny(name(), "only this shop's orders (A-...) can be looked up");
      }
      return Verdict.allow();
    }
  }

  /** Knows the orders: the only agent with the service's tool. */
  static final AgentSpec ORDERS_AGENT = AgentSpec.builder("orders")
      .description("Looks up the status of this shop's orders")
      .instructions("You look up orders with order_status and say their status.")
      .tools(List.of("order_status"))
      .maxSteps(3)
      .build();

  /** The front desk: no tools of its own; it asks the orders agent. */
  static final AgentSpec SUPPORT_AGENT = AgentSpec.builder("support")
      .description("Answers customers")
      .instructions("You answer customers. Ask the orders agent about an order.")
      .tools(List.of())
      .agents(List.of("orders"))
      .maxSteps(6)
      .build();

  public static List<IntentResult> run(Path dataDir) throws Exception {
    try (Troupe troupe = Troupe.builder()
        .dataDir(dataDir)
        .tool(Tools.builder("order_status").description("The status of an order of this shop")
            .param("order", ParamType.STRING, "the order number, e.g. A-100", true)
            .handler((args, ctx) -> CompletableFuture.completedFuture(Json.object()
                .put("order", args.get("order").asText())
                .put("status", ORDERS.getOrDefault(args.get("order").asText().toUpperCase(Locale.ROOT), "unknown"))))
            .build())
        .policy(new OwnOrdersOnly())
        .agent(ORDERS_AGENT)
        .agent(SUPPORT_AGENT)
        .start()) {
      // Two requests at once; each is an intent of its own session.
      var mine = troupe.submit("use order_status with {\"order\":\"A-100\"}");
      var theirs = troupe.submit("use order_status with {\"order\":\"Z-9\"}");
      // The front desk asks the orders agent, which runs as a child intent and answers with the tool.
      var delegated = troupe.submit("support",
          "use agent_orders with {\"input\":\"use order_status with {\\\"order\\\":\\\"A-101\\\"}\"}");
      return List.of(mine.toCompletableFuture().get(60, TimeUnit.SECONDS),
          theirs.toCompletableFuture().get(60, TimeUnit.SECONDS),
          delegated.toCompletableFuture().get(60, TimeUnit.SECONDS));
    }
  }

  public static void main(String[] args) throws Exception {
    Path dataDir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("troupe-example-");
    for (IntentResult r : run(dataDir)) {
      System.out.println(r.id() + " " + r.status() + ": " + (r.answer() != null ? r.answer() : r.error()));
    }
  }
}
