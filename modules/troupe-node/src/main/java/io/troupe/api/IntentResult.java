package io.troupe.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An intent as an embedding application sees it.
 *
 * @param id the intent's id ({@code <sessionId>.<n>})
 * @param agent the agent that ran it
 * @param status {@code accepted}, {@code running}, {@code awaiting_approval}, {@code succeeded}, {@code failed},
 *     {@code cancelled}, {@code interrupted}
 * @param answer the final answer, when it succeeded
 * @param output for an agent with an output schema: the answer as JSON, valid against it; else null
 * @param errorCode a stable word when it failed ({@code guardrail_denied}, {@code deadline}, ...), else null
 * @param error what went wrong, for people, else null
 * @param inputTokens tokens the model read over the whole run
 * @param outputTokens tokens the model wrote
 * @param traceId the id of its trace ({@code GET /v1/intents/{id}/trace} on a node with HTTP)
 * @param metadata what the submission carried, or null
 */
public record IntentResult(String id, String sessionId, String agent, String status, String answer, JsonNode output,
    String errorCode, String error,
    long inputTokens, long outputTokens, String traceId, JsonNode metadata) {

  public boolean succeeded() {
    return "succeeded".equals(status);
  }

  public boolean terminal() {
    return switch (status) {
      case "succeeded", "failed", "cancelled", "interrupted" -> true;
      default -> false;
    };
  }
}
