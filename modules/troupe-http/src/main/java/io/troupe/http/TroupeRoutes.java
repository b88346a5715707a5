package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import io.troupe.core.quota.QuotaCoordinator;
import io.troupe.http.agents.AgentRoutes;
import io.troupe.http.console.ConsoleRoutes;
import io.troupe.http.documents.DocumentRoutes;
import io.troupe.http.health.HealthRoutes;
import io.troupe.http.intents.IntentRoutes;
import io.troupe.http.metrics.MetricsRoutes;
import io.troupe.http.limits.ClusterTenantLimiter;
import io.troupe.http.limits.TenantLimiter;
import io.troupe.http.limits.TenantRateLimiter;
import io.troupe.http.mcp.McpEndpoint;
import io.troupe.http.mcp.McpEndpointSettings;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.SecuritySettings;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.ErrorHandlers;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.LoadShedder;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.tools.ToolRoutes;
import io.troupe.metrics.TroupeMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every route of the ingress, sealed with the JSON rejection and exception handlers: no answer
 * leaves in Pekko's plain-text defaults. Health and the console's static files stay open;
 * everything else passes {@link Access} (auth, per-tenant rate limit) and then checks its own scope
 * ({@code /metrics}: admin). What the ingress sheds is counted in the node's {@link TroupeMetrics}.
 */
public final class TroupeRoutes {
  private TroupeRoutes() {}

  /** Open: no auth, no limits. */
  public static Route create(Backends backends, HttpSettings settings, ActorSystem<?> system) {
    return create(backends, settings, SecuritySettings.open(), () -> 0, system);
  }

  /**
   * The tenants' rate limit: none, this node's buckets ({@code scope = node}), or the cluster's
   * ({@code scope = cluster}: leased from the quota coordinator singleton, the LLM quota's).
   */
  static TenantLimiter tenantLimiter(SecuritySettings security, com.typesafe.config.Config limits, ActorSystem<?> system) {
    if (security.requestsPerSecond() <= 0) return null;
    String scope = limits.hasPath("scope") ? limits.getString("scope") : "node";
    switch (scope) {
      case "node":
        return new TenantRateLimiter(security.requestsPerSecond(), security.burst(), System::nanoTime);
      case "cluster":
        if (!"cluster".equals(system.settings().config().getString("pekko.actor.provider"))) {
          throw new IllegalArgumentException("troupe.http.limits.scope = cluster needs pekko.actor.provider = cluster");
        }
        var log = org.slf4j.LoggerFactory.getLogger(ClusterTenantLimiter.class);
        return new ClusterTenantLimiter(QuotaCoordinator.initSingleton(system, System::nanoTime), system.scheduler(),
            System::nanoTime, security.requestsPerSecond(), security.burst(), limits.getDuration("lease-ttl"),
            limits.getDuration("lease-timeout"), () -> log.warn("the quota coordinator did not answer: tenants' rate "
                + "limits are this node's own for the next 5 s"));
      default:
        throw new IllegalArgumentException("troupe.http.limits.scope must be node or cluster, not '" + scope + "'");
    }
  }

  public static Route create(Backends backends, HttpSettings settings, SecuritySettings security,
      LongSupplier intentsInFlight, ActorSystem<?> system) {
    int retryAfter = settings.retryAfterSeconds();
    ReadinessGate readiness = new ReadinessGate(backends.supervisor(), settings.askTimeout(), system.scheduler(), retryAfter);
    var limits = system.settings().config().getConfig("troupe.http.limits");
    int maxPendingAccepts = limits.hasPath("max-pending-accepts") ? limits.getInt("max-pending-accepts") : 0;
    TroupeMetrics metrics = TroupeMetrics.get(system);
    LoadShedder shedder = new LoadShedder(intentsInFlight, security.maxIntentsInFlight(), maxPendingAccepts, retryAfter,
        () -> metrics.shed(TroupeMetrics.Shed.OVERLOADED));
    IntentRoutes intents = new IntentRoutes(backends, settings, system.scheduler(), readiness, shedder,
        io.troupe.core.agent.Agents.get(system));
    ToolRoutes tools = new ToolRoutes(backends, settings, system.scheduler());
    AgentRoutes agents = new AgentRoutes(system);
    DocumentRoutes documents = new DocumentRoutes(backends, settings, system.scheduler());
    Access access = new Access(security, tenantLimiter(security, limits, system),
        () -> metrics.shed(TroupeMetrics.Shed.RATE_LIMITED));
    MetricsRoutes metricsRoutes = metrics.enabled()
        ? new MetricsRoutes(metrics, backends.llm(), settings.askTimeout(), system.scheduler()) : null;
    var approvals = new io.troupe.http.approvals.ApprovalRoutes(system, retryAfter);
    var sessions = new io.troupe.http.sessions.SessionRoutes(backends, settings, system.scheduler());
    // The node as an MCP server, when troupe.mcp.server.enabled; otherwise its path is 404 like any other.
    McpEndpointSettings mcpSettings = McpEndpointSettings.fromConfig(system.settings().config());
    McpEndpoint mcp = mcpSettings.enabled() ? new McpEndpoint(mcpSettings, settings, backends, readiness, shedder, system) : null;
    Function<Caller, Route> callerRoutes = caller -> {
      List<Route> routes = new ArrayList<>(List.of(intents.route(caller), approvals.route(caller), sessions.route(caller),
          tools.route(caller), agents.route(caller), documents.route(caller)));
      if (metricsRoutes != null) routes.add(metricsRoutes.route(caller));
      if (mcp != null) routes.add(mcp.route(caller));
      return concat(routes.get(0), routes.subList(1, routes.size()).toArray(Route[]::new));
    };
    // Built once, not per request: the routes of the caller without auth, and the sealed whole.
    Route implicitCallerRoutes = callerRoutes.apply(Caller.IMPLICIT);
    Route all = concat(
        new HealthRoutes(readiness, backends.llm(), settings.askTimeout(), system.scheduler(), retryAfter).route(),
        new ConsoleRoutes().route(),
        access.authenticated(caller -> caller == Caller.IMPLICIT ? implicitCallerRoutes : callerRoutes.apply(caller)));
    Route sealed = all.seal(ErrorHandlers.rejectionHandler(), ErrorHandlers.exceptionHandler(retryAfter));
    return withRequestTimeoutResponse(
        request -> JsonResponses.error(ApiError.unavailable("the request took too long; retry shortly", retryAfter)),
        () -> sealed);
  }
}
