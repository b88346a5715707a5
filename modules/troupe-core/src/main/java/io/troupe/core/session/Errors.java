package io.troupe.core.session;

/**
 * Error replies from the session entity carry a stable code before the first colon, e.g.
 * {@code not_found: no intent s-1.4}. The HTTP layer maps the code to a status.
 */
public final class Errors {
  public static final String NOT_FOUND = "not_found";
  public static final String CONFLICT = "conflict";
  public static final String INVALID_REQUEST = "invalid_request";
  public static final String UNAVAILABLE = "unavailable";
  public static final String GUARDRAIL_DENIED = "guardrail_denied";

  private Errors() {}

  public static String of(String code, String message) {
    return code + ": " + message;
  }

  public static String codeOf(String error) {
    int colon = error == null ? -1 : error.indexOf(':');
    return colon > 0 ? error.substring(0, colon) : "internal";
  }

  public static String messageOf(String error) {
    int colon = error == null ? -1 : error.indexOf(':');
    return colon > 0 ? error.substring(colon + 1).trim() : String.valueOf(error);
  }
}
