package io.troupe.core.llm;

import io.troupe.core.CborSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** Protocol of the LLM gateway subsystem (implemented in troupe-llm). */
public final class LlmGateway {
  private LlmGateway() {}

  /** Messages the gateway accepts; implementations add private ones. */
  public interface Command {}

  /**
   * Asks for the next assistant turn. Deltas (when streaming) go to {@code deltaTo}, which may
   * be null; the final result goes to {@code replyTo}. {@code callKey} (may be null) names the
   * call for a later {@link CancelChat}.
   */
  public record Chat(
      long corr, ChatRequest request, ActorRef<ChatDelta> deltaTo, ActorRef<ChatResult> replyTo, String callKey)
      implements Command, CborSerializable {

    public Chat(ChatRequest request, ActorRef<ChatDelta> deltaTo, ActorRef<ChatResult> replyTo, String callKey) {
      this(0, request, deltaTo, replyTo, callKey);
    }

    /** A call that cannot be cancelled. */
    public Chat(ChatRequest request, ActorRef<ChatDelta> deltaTo, ActorRef<ChatResult> replyTo) {
      this(0, request, deltaTo, replyTo, null);
    }
  }

  /**
   * Aborts the call sent with this {@code callKey}: its provider request is cancelled, and it gets
   * no reply and no more deltas. Unknown keys are ignored.
   */
  public record CancelChat(String callKey) implements Command, CborSerializable {}

  /**
   * Either a response or a typed failure. {@code corr} is the {@link Chat}'s, so that a caller with
   * several calls over time drops a stale reply.
   */
  public record ChatResult(long corr, ChatResponse response, LlmFailure failure) implements CborSerializable {
    public ChatResult(ChatResponse response, LlmFailure failure) {
      this(0, response, failure);
    }

    public static ChatResult ok(ChatResponse response) {
      return new ChatResult(0, response, null);
    }

    public static ChatResult failed(LlmFailure.Code code, String message) {
      return new ChatResult(0, null, new LlmFailure(code, message));
    }

    /** The same result, answering the call {@code corr}. */
    public ChatResult answering(long corr) {
      return corr == this.corr ? this : new ChatResult(corr, response, failure);
    }

    public boolean isOk() {
      return response != null;
    }
  }

  /** Asks for the state of every provider and circuit breaker (for readiness). */
  public record GetStatus(ActorRef<Status> replyTo) implements Command, CborSerializable {}

  /** The gateway's view of its providers: one entry per provider and model it routes to. */
  public record Status(List<TargetStatus> targets) implements CborSerializable {
    public Status {
      targets = List.copyOf(targets);
    }

    /** True when no breaker is open. */
    public boolean allClosed() {
      return targets.stream().noneMatch(t -> t.breaker() == BreakerState.OPEN);
    }
  }

  /**
   * One provider and model: its circuit breaker, and its provider's bulkhead (calls in flight and
   * waiting).
   */
  public record TargetStatus(
      String provider, String model, BreakerState breaker, boolean available, int activeCalls, int queuedCalls)
      implements CborSerializable {}

  public enum BreakerState {
    CLOSED,
    OPEN,
    HALF_OPEN
  }
}
