package io.troupe.http.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds every JSON answer of the ingress, errors included. */
public final class JsonResponses {
  private static final Logger log = LoggerFactory.getLogger(JsonResponses.class);

  private JsonResponses() {}

  public static HttpResponse json(int status, JsonNode body) {
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withEntity(ContentTypes.APPLICATION_JSON, Json.writeBytes(body));
  }

  public static HttpResponse json(int status, JsonNode body, List<HttpHeader> headers) {
    return json(status, body).withHeaders(headers);
  }

  public static ObjectNode errorBody(String code, String message) {
    ObjectNode error = Json.object();
    error.put("code", code);
    error.put("message", message);
    ObjectNode body = Json.object();
    body.set("error", error);
    return body;
  }

  public static HttpResponse error(ApiError e) {
    List<HttpHeader> headers = new ArrayList<>();
    if (e.retryAfterSeconds() != null) {
      headers.add(RawHeader.create("Retry-After", Integer.toString(e.retryAfterSeconds())));
    }
    return json(e.status(), errorBody(e.code(), e.getMessage()), headers);
  }

  public static HttpResponse error(int status, String code, String message) {
    return json(status, errorBody(code, message));
  }

  /** Any failure of a route's future, as an answer. Unknown failures are logged, not shown. */
  public static HttpResponse fromThrowable(Throwable t, int retryAfterSeconds) {
    return error(toApiError(t, retryAfterSeconds));
  }

  public static ApiError toApiError(Throwable t, int retryAfterSeconds) {
    Throwable cause = unwrap(t);
    if (cause instanceof ApiError api) {
      return api;
    }
    if (cause instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage m) {
      return ApiError.fromCoded(m.getMessage(), retryAfterSeconds);
    }
    if (cause instanceof TimeoutException) {
      return ApiError.unavailable("the runtime did not answer in time; retry shortly", retryAfterSeconds);
    }
    if (cause instanceof EntityStreamSizeException size) {
      return ApiError.of(ApiError.PAYLOAD_TOO_LARGE, "the request body is larger than " + size.limit() + " bytes");
    }
    if (isTooLarge(cause)) {
      return ApiError.of(ApiError.PAYLOAD_TOO_LARGE, "the request body is too large");
    }
    log.error("unexpected failure in a route", cause);
    return ApiError.of(ApiError.INTERNAL, "internal error");
  }

  /** Pekko's ways of saying that a streamed body passed its size limit. */
  public static boolean isTooLarge(Throwable t) {
    if (t instanceof EntityStreamSizeException) {
      return true;
    }
    return t instanceof EntityStreamException e
        && e.info().summary() != null
        && e.info().summary().toLowerCase(java.util.Locale.ROOT).contains("too large");
  }

  public static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
