package io.troupe.core.trace;

import io.troupe.core.session.IntentMdc;
import org.slf4j.MDC;

/**
 * The MDC of a log line about one call a subsystem makes for an intent (a model call, a tool call):
 * the same keys as the session's ({@link IntentMdc}), set for the line and removed after.
 *
 * <pre>{@code try (var ids = CallMdc.of(intentId, traceparent)) { log.warn(...); }}</pre>
 */
public final class CallMdc implements AutoCloseable {
  private static final CallMdc NONE = new CallMdc(false);

  private final boolean set;

  private CallMdc(boolean set) {
    this.set = set;
  }

  /**
   * @param intentId the intent, or null
   * @param traceparent the call's W3C trace context ({@code 00-<trace>-<span>-<flags>}), or null
   */
  public static CallMdc of(String intentId, String traceparent) {
    if (intentId == null && traceparent == null) return NONE;
    if (intentId != null) {
      MDC.put(IntentMdc.INTENT_ID, intentId);
      MDC.put(IntentMdc.TENANT, IntentMdc.tenantOf(intentId));
    }
    if (traceparent != null && traceparent.length() >= 55) {
      MDC.put(IntentMdc.TRACE_ID, traceparent.substring(3, 35));
      MDC.put(IntentMdc.SPAN_ID, traceparent.substring(36, 52));
    }
    return new CallMdc(true);
  }

  /** The intent of a model call's key: {@code <intent>/model-<n>}, or {@code judge:<intent>:<corr>}. */
  public static String intentOfCallKey(String callKey) {
    if (callKey == null) return null;
    if (callKey.startsWith("judge:")) {
      int end = callKey.lastIndexOf(':');
      return end > 6 ? callKey.substring(6, end) : null;
    }
    int slash = callKey.lastIndexOf('/');
    return slash > 0 ? callKey.substring(0, slash) : null;
  }

  @Override
  public void close() {
    if (!set) return;
    MDC.remove(IntentMdc.INTENT_ID);
    MDC.remove(IntentMdc.TENANT);
    MDC.remove(IntentMdc.TRACE_ID);
    MDC.remove(IntentMdc.SPAN_ID);
  }
}
