package io.troupe.node.logging;

import ch.qos.logback.core.Context;
import java.util.Locale;

/**
 * The console's line format: {@code json} when TROUPE_LOG_FORMAT says so (in any case),
 * {@code text} otherwise, so that a mistyped value never silences the log. Read from Logback's
 * context, a system property or the environment, in that order.
 */
public final class LogFormat {
  static final String VARIABLE = "TROUPE_LOG_FORMAT";

  private LogFormat() {}

  public static String current(Context context) {
    String v = context == null ? null : context.getProperty(VARIABLE);
    if (v == null) v = System.getProperty(VARIABLE);
    if (v == null) v = System.getenv(VARIABLE);
    return of(v);
  }

  static String of(String value) {
    return value != null && value.trim().toLowerCase(Locale.ROOT).equals("json") ? "json" : "text";
  }
}
