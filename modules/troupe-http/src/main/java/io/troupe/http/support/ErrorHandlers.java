package io.troupe.http.support;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;

/**
 * The rejection and exception handlers of the ingress. Nothing falls through to Pekko's plain
 * text: every rejection keeps the status Pekko chose and gets the JSON error shape.
 */
public final class ErrorHandlers {
  private ErrorHandlers() {}

  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> {
          if (JsonResponses.isTooLarge(JsonResponses.unwrap(r.getCause()))) {
            return complete(JsonResponses.error(JsonResponses.toApiError(r.getCause(), 0)));
          }
          return complete(JsonResponses.error(400, ApiError.INVALID_REQUEST, "malformed request body: " + r.message()));
        })
        .handleNotFound(complete(JsonResponses.error(404, ApiError.NOT_FOUND, "no such resource")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(ErrorHandlers::asJson);
  }

  public static ExceptionHandler exceptionHandler(int retryAfterSeconds) {
    return ExceptionHandler.newBuilder()
        .matchAny(t -> complete(JsonResponses.fromThrowable(t, retryAfterSeconds)))
        .build();
  }

  /** Rewrites a plain-text error response of Pekko into the JSON error shape. */
  static HttpResponse asJson(HttpResponse response) {
    if (response.entity().getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      return response;
    }
    int status = response.status().intValue();
    String message = response.entity() instanceof HttpEntity.Strict strict
        ? strict.getData().decodeString(StandardCharsets.UTF_8)
        : response.status().reason();
    if (message.isBlank()) {
      message = response.status().reason();
    }
    return JsonResponses.error(status, ApiError.codeOfStatus(status), message)
        .withHeaders(response.getHeaders());
  }
}
