package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import io.troupe.http.documents.DocumentRoutes;
import io.troupe.http.health.HealthRoutes;
import io.troupe.http.intents.IntentRoutes;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.ErrorHandlers;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.tools.ToolRoutes;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every route of the ingress, sealed with the JSON rejection and exception handlers: no answer
 * leaves in Pekko's plain-text defaults.
 */
public final class TroupeRoutes {
  private TroupeRoutes() {}

  public static Route create(Backends backends, HttpSettings settings, ActorSystem<?> system) {
    int retryAfter = settings.retryAfterSeconds();
    ReadinessGate readiness = new ReadinessGate(backends.supervisor(), settings.askTimeout(), system.scheduler(), retryAfter);
    Route all = concat(
        new HealthRoutes(readiness, backends.llm(), settings.askTimeout(), system.scheduler(), retryAfter).route(),
        new IntentRoutes(backends, settings, system.scheduler(), readiness).route(),
        new ToolRoutes(backends, settings, system.scheduler()).route(),
        new DocumentRoutes(backends, settings, system.scheduler()).route());
    return withRequestTimeoutResponse(
        request -> JsonResponses.error(ApiError.unavailable("the request took too long; retry shortly", retryAfter)),
        () -> all.seal(ErrorHandlers.rejectionHandler(), ErrorHandlers.exceptionHandler(retryAfter)));
  }
}
