package io.troupe.llm.http;

/**
 * One Server-Sent Event.
 *
 * @param event the {@code event:} field, or {@code message} when the event named none
 * @param data the {@code data:} lines joined with newlines
 * @param id the last {@code id:} field seen in the stream, or null
 */
public record SseEvent(String event, String data, String id) {}
