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
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  public JsonParsingErrorHandler() {}

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("illegal request, answering {}: {}", status.intValue(), info.summary());
    int code = status.intValue();
    return JsonResponses.error(code, ApiError.codeOfStatus(code), info.summary());
  }
}
