package io.troupe.core.session;

import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.MDC;

/**
 * The logging MDC of a session: every line it logs names its {@code tenant} and {@code sessionId},
 * and while an intent runs also its {@code intentId}, {@code traceId} and {@code spanId} (the
 * intent's root span, the parent of its steps). The map is made once per run, not per message;
 * {@link #around} sets it for each message the session handles, journal replies included, and
 * Pekko clears it after. Only ids go in: never a text, a key or a header.
 */
public final class IntentMdc {
  public static final String TENANT = "tenant";
  public static final String SESSION_ID = "sessionId";
  public static final String INTENT_ID = "intentId";
  public static final String TRACE_ID = "traceId";
  public static final String SPAN_ID = "spanId";

  /** Qualified session ids are {@code <tenant>~<id>} (see the ingress's Caller). */
  private static final char TENANT_SEPARATOR = '~';

  private final String tenant;
  private final String sessionId;
  private final Map<String, String> idle;
  private volatile Map<String, String> current;

  public IntentMdc(String sessionId) {
    this.sessionId = sessionId;
    this.tenant = tenantOf(sessionId);
    this.idle = Map.of(TENANT, tenant, SESSION_ID, sessionId);
    this.current = idle;
  }

  /** The tenant of a (qualified) session id; empty for the implicit tenant when auth is off. */
  public static String tenantOf(String sessionId) {
    int sep = sessionId == null ? -1 : sessionId.indexOf(TENANT_SEPARATOR);
    return sep > 0 ? sessionId.substring(0, sep) : "";
  }

  /** The map of every message now. */
  public Map<String, String> current() {
    return current;
  }

  /** An intent runs: its ids go with every message from now on, and this one. */
  public void running(String intentId, String traceId) {
    running(intentId, traceId, traceId == null || traceId.length() < 16 ? null : SessionEntity.rootSpanId(traceId));
  }

  /** As {@link #running(String, String)}, with the root span's id when it is not derived from the trace id. */
  public void running(String intentId, String traceId, String rootSpanId) {
    current = of(intentId, traceId, rootSpanId);
    putAll(current);
  }

  /** No intent runs any more. */
  public void idle() {
    current = idle;
    MDC.remove(INTENT_ID);
    MDC.remove(TRACE_ID);
    MDC.remove(SPAN_ID);
  }

  /** For the rest of the message being handled only: the lines it logs are about this intent. */
  public void about(String intentId, String traceId) {
    about(intentId, traceId, traceId == null || traceId.length() < 16 ? null : SessionEntity.rootSpanId(traceId));
  }

  /** As {@link #about(String, String)}, with the root span's id. */
  public void about(String intentId, String traceId, String rootSpanId) {
    putAll(of(intentId, traceId, rootSpanId));
  }

  /** {@code behavior} with this MDC on every message it handles (a session's own, and journal replies). */
  @SuppressWarnings("unchecked")
  public <T> Behavior<T> around(Behavior<T> behavior) {
    Class<T> every = (Class<T>) (Class<?>) Object.class;
    return Behaviors.withMdc(every, message -> current, behavior);
  }

  private Map<String, String> of(String intentId, String traceId, String rootSpanId) {
    if (traceId == null || traceId.length() < 16 || rootSpanId == null) {
      return Map.of(TENANT, tenant, SESSION_ID, sessionId, INTENT_ID, intentId);
    }
    return Map.of(TENANT, tenant, SESSION_ID, sessionId, INTENT_ID, intentId, TRACE_ID, traceId,
        SPAN_ID, rootSpanId);
  }

  private static void putAll(Map<String, String> mdc) {
    mdc.forEach(MDC::put);
  }
}
