package io.troupe.http.health;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.runtime.Readiness;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.support.Respond;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/** GET /health/live (the process answers) and GET /health/ready (every subsystem is ready). */
public final class HealthRoutes {
  private final ReadinessGate readiness;
  private final RecipientRef<LlmGateway.Command> llm;
  private final Duration askTimeout;
  private final Scheduler scheduler;
  private final int retryAfter;

  public HealthRoutes(ReadinessGate readiness, int retryAfterSeconds) {
    this(readiness, null, Duration.ofSeconds(1), null, retryAfterSeconds);
  }

  /** With the gateway: readiness also shows each provider's circuit breaker. */
  public HealthRoutes(ReadinessGate readiness, RecipientRef<LlmGateway.Command> llm, Duration askTimeout,
      Scheduler scheduler, int retryAfterSeconds) {
    this.readiness = readiness;
    this.llm = llm;
    this.askTimeout = askTimeout;
    this.scheduler = scheduler;
    this.retryAfter = retryAfterSeconds;
  }

  public Route route() {
    return concat(
        path(segment("health").slash("live"), () -> get(() -> complete(live()))),
        path(segment("health").slash("ready"), () -> get(() -> Respond.with(
            readiness.current()
                .thenCombine(providers(), HealthRoutes::ready)
                .exceptionally(t -> notReported()),
            retryAfter))));
  }

  private static HttpResponse live() {
    ObjectNode body = Json.object();
    body.put("status", "live");
    return JsonResponses.json(200, body);
  }

  /** The gateway's providers, or null when there is no gateway or it does not answer in time. */
  private CompletionStage<LlmGateway.Status> providers() {
    if (llm == null) {
      return CompletableFuture.completedFuture(null);
    }
    return Asks.<LlmGateway.Command, LlmGateway.Status>ask(llm, LlmGateway.GetStatus::new, askTimeout, scheduler)
        .exceptionally(t -> null);
  }

  static HttpResponse ready(Readiness r) {
    return ready(r, null);
  }

  /**
   * 200 when every subsystem is ready, else 503. An open circuit breaker does not make the node
   * unready (fallbacks may still serve, and every node shares the provider): it shows as
   * {@code degraded} with the breaker's provider and model.
   */
  static HttpResponse ready(Readiness r, LlmGateway.Status providers) {
    ObjectNode body = Json.object();
    boolean degraded = providers != null && !providers.allClosed();
    body.put("status", !r.ready() ? "not_ready" : degraded ? "degraded" : "ready");
    ObjectNode subsystems = body.putObject("subsystems");
    r.subsystems().forEach((name, s) -> {
      ObjectNode o = subsystems.putObject(name);
      o.put("status", s.status());
      if (s.initMillis() != null) {
        o.put("initMillis", s.initMillis());
      } else {
        o.putNull("initMillis");
      }
      if (s.error() != null) {
        o.put("error", s.error());
      }
      o.put("attempts", s.attempts());
    });
    ObjectNode gateway = (ObjectNode) subsystems.get(Subsystems.LLM);
    if (providers != null && gateway != null) {
      var list = gateway.putArray("providers");
      for (LlmGateway.TargetStatus t : providers.targets()) {
        list.addObject()
            .put("provider", t.provider())
            .put("model", t.model())
            .put("breaker", t.breaker().name().toLowerCase(Locale.ROOT))
            .put("available", t.available())
            .put("activeCalls", t.activeCalls())
            .put("queuedCalls", t.queuedCalls());
        if (t.breaker() == LlmGateway.BreakerState.OPEN && !gateway.has("error")) {
          gateway.put("error", "circuit open for " + t.provider() + "/" + t.model());
        }
      }
    }
    return JsonResponses.json(r.ready() ? 200 : 503, body);
  }

  private HttpResponse notReported() {
    ObjectNode body = Json.object();
    body.put("status", "unknown");
    body.putObject("subsystems");
    body.putObject("error").put("code", "unavailable").put("message", "the supervisor did not report readiness in time");
    return JsonResponses.json(503, body, List.of(RawHeader.create("Retry-After", Integer.toString(retryAfter))));
  }
}
