package io.troupe.llm.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmFailure.Code;
import io.troupe.llm.LlmException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Maps what went wrong with a provider call to a typed {@link LlmException}, with the provider's
 * own message and never its key. Both OpenAI and Anthropic put errors in
 * {@code {"error": {"type", "message", "code"?}}}.
 */
public final class ProviderErrors {
  private final String provider;
  private final Redactor redactor;

  public ProviderErrors(String provider, Redactor redactor) {
    this.provider = provider;
    this.redactor = redactor;
  }

  /** A non-2xx response with its (possibly empty or non-JSON) body. */
  public LlmException forStatus(int status, String body, RateLimitInfo rateLimit) {
    String type = null;
    String message = null;
    JsonNode error = parseError(body);
    if (error != null) {
      type = text(error.get("type"));
      message = text(error.get("message"));
      if (type == null) {
        type = text(error.get("code"));
      }
    }
    if (message == null) {
      message = body == null || body.isBlank() ? "no details" : body;
    }
    Code code = code(status, type);
    String what = provider + " answered " + status + (type == null ? "" : " (" + type + ")") + ": " + redactor.redact(message);
    return new LlmException(code, what, status, rateLimit, false);
  }

  /** An error event inside a 200 stream, e.g. Anthropic's {@code overloaded_error}. */
  public LlmException forStreamError(JsonNode error, boolean contentDelivered) {
    String type = error == null ? null : text(error.get("type"));
    String message = error == null ? null : text(error.get("message"));
    Code code = code(0, type);
    String what = provider + " failed mid-stream" + (type == null ? "" : " (" + type + ")") + ": "
        + redactor.redact(message == null ? "no details" : message);
    return new LlmException(code, what, 0, RateLimitInfo.NONE, contentDelivered);
  }

  /** A transport failure, a parse failure, or an LlmException thrown while reading a body. */
  public LlmException forThrowable(Throwable error, boolean contentDelivered) {
    Throwable t = unwrap(error);
    if (t instanceof LlmException e) {
      return e.withContentDelivered(contentDelivered || e.contentDelivered());
    }
    Code code;
    String what;
    if (t instanceof TimeoutException) {
      code = Code.TIMEOUT;
      what = provider + " timed out: " + redactor.redact(t.getMessage());
    } else if (t instanceof org.apache.pekko.stream.BufferOverflowException) {
      return LlmException.connection(Code.OVERLOADED,
          "the connection pool to " + provider + " is full (troupe.llm.http.max-open-requests)");
    } else if (!contentDelivered && isConnectionFailure(t)) {
      return LlmException.connection(Code.PROVIDER_ERROR, "no connection to " + provider + " ("
          + t.getClass().getSimpleName() + "): " + redactor.redact(t.getMessage()));
    } else if (t instanceof com.fasterxml.jackson.core.JsonProcessingException) {
      code = Code.PROVIDER_ERROR;
      what = provider + " sent malformed JSON";
    } else {
      code = Code.PROVIDER_ERROR;
      String kind = contentDelivered ? "the stream from " + provider + " broke" : "the request to " + provider + " failed";
      what = kind + " (" + t.getClass().getSimpleName() + "): " + redactor.redact(t.getMessage());
    }
    return new LlmException(code, what, 0, RateLimitInfo.NONE, contentDelivered);
  }

  /**
   * Whether a transport error means that the provider never answered because of the connection:
   * it could not be opened (refused, unreachable, the connecting timeout), Pekko's pool cancelled
   * it ("Connection was cancelled"), or it closed or broke before a response head arrived. A
   * timeout is not one of these (it is the provider's slowness), nor is a malformed answer.
   */
  public static boolean isConnectionFailure(Throwable error) {
    Throwable t = error;
    for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
      if (t instanceof TimeoutException) {
        return false;
      }
      if (t instanceof org.apache.pekko.stream.StreamTcpException
          || t instanceof java.net.ConnectException
          || t instanceof java.net.NoRouteToHostException
          || t instanceof java.net.PortUnreachableException
          || t.getClass().getSimpleName().equals("UnexpectedConnectionClosureException")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** 401/403 auth, 400/413/422 invalid, 404 model, 408 timeout, 429 rate, 529 overloaded, 5xx provider; a known error type wins. */
  static Code code(int status, String type) {
    if (type != null) {
      switch (type) {
        case "overloaded_error": return Code.OVERLOADED;
        case "rate_limit_error", "rate_limit_exceeded": return Code.RATE_LIMITED;
        case "authentication_error", "permission_error", "invalid_api_key": return Code.AUTHENTICATION;
        case "not_found_error", "model_not_found": return Code.MODEL_NOT_FOUND;
        case "timeout_error": return Code.TIMEOUT;
        default: break;
      }
    }
    if (status == 401 || status == 403) return Code.AUTHENTICATION;
    if (status == 400 || status == 413 || status == 422) return Code.INVALID_REQUEST;
    if (status == 404) return Code.MODEL_NOT_FOUND;
    if (status == 408) return Code.TIMEOUT;
    if (status == 429) return Code.RATE_LIMITED;
    if (status == 529) return Code.OVERLOADED;
    if (status == 0 && "invalid_request_error".equals(type)) return Code.INVALID_REQUEST;
    return Code.PROVIDER_ERROR;
  }

  private static JsonNode parseError(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      JsonNode root = Json.MAPPER.readTree(body);
      JsonNode error = root == null ? null : root.get("error");
      if (error != null && error.isObject()) {
        return error;
      }
      if (error != null && error.isTextual()) { // some compatible servers: {"error": "message"}
        return Json.object().put("message", error.asText());
      }
      return root != null && root.has("message") ? root : null;
    } catch (Exception notJson) {
      return null;
    }
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
