package io.troupe.http.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.troupe.core.actor.Asks;
import io.troupe.core.llm.LlmGateway;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.metrics.TroupeMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /metrics: the node's metrics in Prometheus text format, for the {@code admin} scope when auth
 * is on. Before each scrape the LLM gateway is asked for its breakers (briefly: a gateway that does
 * not answer leaves the last known values), so that the breaker gauges are current without the
 * gateway pushing anything.
 */
public final class MetricsRoutes {
  /** How long a scrape waits for the gateway's status at most. */
  private static final Duration GATEWAY_WAIT = Duration.ofSeconds(1);

  private static final ContentType TEXT_004 =
      ContentTypes.parse(TroupeMetrics.CONTENT_TYPE);

  private final TroupeMetrics metrics;
  private final RecipientRef<LlmGateway.Command> llm;
  private final Duration gatewayWait;
  private final Scheduler scheduler;

  public MetricsRoutes(TroupeMetrics metrics, RecipientRef<LlmGateway.Command> llm, Duration askTimeout,
      Scheduler scheduler) {
    this.metrics = metrics;
    this.llm = llm;
    this.gatewayWait = askTimeout.compareTo(GATEWAY_WAIT) < 0 ? askTimeout : GATEWAY_WAIT;
    this.scheduler = scheduler;
  }

  public Route route(Caller caller) {
    return path("metrics", () -> get(() -> Access.require(caller, this::scrape, Scope.ADMIN)));
  }

  private Route scrape() {
    return completeWithFuture(gatewayStatus().thenApply(ignored -> HttpResponse.create()
        .withEntity(HttpEntities.create(TEXT_004, metrics.scrape().getBytes(StandardCharsets.UTF_8)))));
  }

  private CompletionStage<Void> gatewayStatus() {
    if (llm == null) return CompletableFuture.completedFuture(null);
    return Asks.<LlmGateway.Command, LlmGateway.Status>ask(llm, LlmGateway.GetStatus::new, gatewayWait, scheduler)
        .handle((status, failure) -> {
          if (status != null) metrics.gatewayStatus(status);
          return null;
        });
  }
}
