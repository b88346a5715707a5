package io.troupe.http.support;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/** Completes routes so that every failure becomes a JSON error. */
public final class Respond {
  private Respond() {}

  /** Runs route-building code that validates by throwing {@link ApiError}. */
  public static Route guarded(Supplier<Route> route) {
    try {
      return route.get();
    } catch (ApiError e) {
      return complete(JsonResponses.error(e));
    }
  }

  public static Route with(CompletionStage<HttpResponse> response, int retryAfterSeconds) {
    return completeWithFuture(response.exceptionally(t -> JsonResponses.fromThrowable(t, retryAfterSeconds)));
  }
}
