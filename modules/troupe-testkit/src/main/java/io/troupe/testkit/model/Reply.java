package io.troupe.testkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link ScriptedModel} answers to one request: an assistant turn (text, tool calls or a
 * structured output) or a fault, with optional streamed deltas and a latency in virtual time.
 *
 * @param response the turn, or null for a fault
 * @param failure the fault, or null for a turn
 * @param deltas text fragments sent to the caller's delta address before the result (when it gave one)
 * @param latency how long the model takes, on the actor system's clock (ManualTime in tests)
 * @param noAnswer never answer: the caller's own timeout has to end the call
 */
public record Reply(ChatResponse response, LlmFailure failure, List<String> deltas, Duration latency, boolean noAnswer) {

  public Reply {
    deltas = deltas == null ? List.of() : List.copyOf(deltas);
    latency = latency == null ? Duration.ZERO : latency;
  }

  private static final Usage DEFAULT_USAGE = new Usage(10, 5);

  /** A final answer. */
  public static Reply text(String text) {
    return of(ChatMessage.assistant(text), FinishReason.STOP);
  }

  /** A structured output: the JSON as the answer's text. */
  public static Reply structured(JsonNode value) {
    return text(value.toString());
  }

  /** A turn that calls these tools, all at once. */
  public static Reply toolCalls(ToolCall... calls) {
    return of(ChatMessage.assistantToolCalls("", List.of(calls)), FinishReason.TOOL_CALLS);
  }

  /** A turn that calls one tool with JSON arguments, under the call id {@code call_1}. */
  public static Reply callTool(String name, String argumentsJson) {
    return toolCalls(new ToolCall("call_1", name, Json.parse(argumentsJson)));
  }

  /** 429: the gateway gave up on a rate-limited provider that asked to wait {@code retryAfter}. */
  public static Reply rateLimited(Duration retryAfter) {
    return failure(LlmFailure.Code.RATE_LIMITED,
        "429 rate limited by the provider; Retry-After: " + retryAfter.toSeconds() + "s");
  }

  /** 500: the provider failed. */
  public static Reply serverError() {
    return failure(LlmFailure.Code.PROVIDER_ERROR, "500 internal server error from the provider");
  }

  /** The gateway's own timeout: a typed TIMEOUT failure. */
  public static Reply timeout() {
    return failure(LlmFailure.Code.TIMEOUT, "the model did not answer in time");
  }

  /** No answer at all: only the caller's timeout ends the call. */
  public static Reply hang() {
    return new Reply(null, null, List.of(), Duration.ZERO, true);
  }

  /** A stream cut after these fragments: the deltas arrive, then a provider error. */
  public static Reply cutStream(String... fragments) {
    return new Reply(null, new LlmFailure(LlmFailure.Code.PROVIDER_ERROR, "the stream was cut"),
        List.of(fragments), Duration.ZERO, false);
  }

  /** Any typed failure. */
  public static Reply failure(LlmFailure.Code code, String message) {
    return new Reply(null, new LlmFailure(code, message), List.of(), Duration.ZERO, false);
  }

  private static Reply of(ChatMessage message, FinishReason finish) {
    return new Reply(new ChatResponse(message, DEFAULT_USAGE, finish, "scripted", "testkit"), null, List.of(),
        Duration.ZERO, false);
  }

  /** The same reply after {@code latency} of virtual time. */
  public Reply after(Duration latency) {
    return new Reply(response, failure, deltas, latency, noAnswer);
  }

  /** The same reply with this token usage. */
  public Reply withUsage(long inputTokens, long outputTokens) {
    if (response == null) {
      return this;
    }
    return new Reply(new ChatResponse(response.message(), new Usage(inputTokens, outputTokens),
        response.finishReason(), response.model(), response.provider()), failure, deltas, latency, noAnswer);
  }

  /** The same reply, streamed as these fragments first (to callers that pass a delta address). */
  public Reply streamed(String... fragments) {
    return new Reply(response, failure, List.of(fragments), latency, noAnswer);
  }

  /** The text streamed word by word (the words keep their trailing space). */
  public Reply streamedByWord() {
    String text = response == null ? "" : response.message().content();
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        parts.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      parts.add(text.substring(start));
    }
    return new Reply(response, failure, parts, latency, noAnswer);
  }
}
