package io.troupe.http.health;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.Readiness;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.support.Respond;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/** GET /health/live (the process answers) and GET /health/ready (every subsystem is ready). */
public final class HealthRoutes {
  private final ReadinessGate readiness;
  private final int retryAfter;

  public HealthRoutes(ReadinessGate readiness, int retryAfterSeconds) {
    this.readiness = readiness;
    this.retryAfter = retryAfterSeconds;
  }

  public Route route() {
    return concat(
        path(segment("health").slash("live"), () -> get(() -> complete(live()))),
        path(segment("health").slash("ready"), () -> get(() -> Respond.with(
            readiness.current()
                .thenApply(HealthRoutes::ready)
                .exceptionally(t -> notReported()),
            retryAfter))));
  }

  private static HttpResponse live() {
    ObjectNode body = Json.object();
    body.put("status", "live");
    return JsonResponses.json(200, body);
  }

  static HttpResponse ready(Readiness r) {
    ObjectNode body = Json.object();
    body.put("status", r.ready() ? "ready" : "not_ready");
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
