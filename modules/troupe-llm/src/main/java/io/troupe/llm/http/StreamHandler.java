package io.troupe.llm.http;

/**
 * Turns one provider's SSE events into a result. Called by one stream, one event at a time, so
 * it may keep plain mutable state.
 */
public interface StreamHandler<T> {

  /** One event; throws (usually an {@code LlmException}) to fail the call. */
  void onEvent(SseEvent event) throws Exception;

  /** The body ended normally; throws when the provider's protocol had not finished. */
  T complete() throws Exception;

  /** Whether any delta was passed to the caller yet. */
  boolean contentDelivered();
}
