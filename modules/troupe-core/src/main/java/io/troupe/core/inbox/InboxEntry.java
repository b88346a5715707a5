package io.troupe.core.inbox;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An intent accepted through the inbox: written by an ingress node while its session could not
 * answer, taken by the session later. Its id is {@code <sessionId>.i<inboxId>}.
 *
 * @param inboxId assigned by the store (0 before it is written)
 * @param sessionId the internal (tenant-qualified) session id
 * @param idempotencyKey never null: the client's key, or one the ingress made
 * @param traceParent the caller's {@code traceparent} header, or null
 * @param agent the agent named by the request, or null for the default
 */
public record InboxEntry(
    long inboxId,
    String sessionId,
    String idempotencyKey,
    String text,
    JsonNode metadata,
    String agent,
    String traceParent,
    long acceptedNanos) {

  public InboxEntry {
    if (idempotencyKey == null || idempotencyKey.isEmpty()) {
      throw new IllegalArgumentException("an inbox entry needs an idempotency key");
    }
  }

  public String intentId() {
    return intentId(sessionId, inboxId);
  }

  public static String intentId(String sessionId, long inboxId) {
    return sessionId + ".i" + inboxId;
  }

  public InboxEntry withInboxId(long id) {
    return new InboxEntry(id, sessionId, idempotencyKey, text, metadata, agent, traceParent, acceptedNanos);
  }
}
