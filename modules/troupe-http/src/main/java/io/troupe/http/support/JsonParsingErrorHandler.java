package io.troupe.http.support;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests that are too malformed to reach the routes (bad request line, header too long,
 * URI too long) with the JSON error shape. Configured as
 * {@code pekko.http.server.parsing.error-handler}.
 *
 * <p>The parser only fails on what the client sent, so its 5xx answers (505 for an unknown HTTP
 * version, 501 for an unknown method or transfer encoding) become 400: bad input never gets a 5xx.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  public JsonParsingErrorHandler() {}

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("illegal request, answering {}: {}", status.intValue(), info.summary());
    int code = status.intValue() >= 500 ? 400 : status.intValue();
    String message = info.summary() == null || info.summary().isBlank() ? status.reason() : info.summary();
    return JsonResponses.error(code, ApiError.codeOfStatus(code), message);
  }
}
