package io.troupe.core.llm;

import io.troupe.core.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/** Protocol of the LLM gateway subsystem (implemented in troupe-llm). */
public final class LlmGateway {
  private LlmGateway() {}

  /** Messages the gateway accepts; implementations add private ones. */
  public interface Command {}

  /**
   * Asks for the next assistant turn. Deltas (when streaming) go to {@code deltaTo}, which may
   * be null; the final result goes to {@code replyTo}.
   */
  public record Chat(ChatRequest request, ActorRef<ChatDelta> deltaTo, ActorRef<ChatResult> replyTo)
      implements Command, CborSerializable {}

  /** Either a response or a typed failure. */
  public record ChatResult(ChatResponse response, LlmFailure failure) implements CborSerializable {
    public static ChatResult ok(ChatResponse response) {
      return new ChatResult(response, null);
    }

    public static ChatResult failed(LlmFailure.Code code, String message) {
      return new ChatResult(null, new LlmFailure(code, message));
    }

    public boolean isOk() {
      return response != null;
    }
  }
}
