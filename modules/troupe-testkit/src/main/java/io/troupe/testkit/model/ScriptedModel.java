package io.troupe.testkit.model;

import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmFailure;
import io.troupe.core.llm.LlmGateway;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A model that answers from a script, standing in for the LLM gateway. Spawn {@link #behavior()}
 * and hand the reference to the guardrail as its {@code llm} target: sessions run against it
 * unchanged. Each request is matched against the rules in the order they were added; the first
 * whose predicate holds (and that has uses left) answers. Every request is recorded.
 *
 * <pre>{@code
 * ScriptedModel model = ScriptedModel.create()
 *     .whenOnce(Requests.lastUserMessageContains("weather"), Reply.rateLimited(Duration.ofSeconds(2)))
 *     .when(Requests.hasToolResult(), Reply.text("It is sunny."))
 *     .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"));
 * }</pre>
 *
 * <p>Latencies run on the actor system's scheduler, so under {@code ManualTime} a reply with
 * {@link Reply#after} arrives only when the test advances time.
 */
public final class ScriptedModel {

  private record Rule(Predicate<ChatRequest> when, Function<ChatRequest, Reply> reply, int[] usesLeft) {}

  private final List<Rule> rules = new ArrayList<>();
  private final List<ChatRequest> recorded = new ArrayList<>();
  private Function<ChatRequest, Reply> otherwise =
      r -> Reply.failure(LlmFailure.Code.INVALID_REQUEST, "no scripted rule matched the request");
  private int unmatched;

  private ScriptedModel() {}

  public static ScriptedModel create() {
    return new ScriptedModel();
  }

  /** Answers every matching request with {@code reply}. */
  public ScriptedModel when(Predicate<ChatRequest> when, Reply reply) {
    return when(when, r -> reply);
  }

  /** Answers every matching request with what {@code reply} makes of it. */
  public synchronized ScriptedModel when(Predicate<ChatRequest> when, Function<ChatRequest, Reply> reply) {
    rules.add(new Rule(when, reply, new int[] {-1}));
    return this;
  }

  /** Answers the first matching request only; later ones fall through to the next rules. */
  public ScriptedModel whenOnce(Predicate<ChatRequest> when, Reply reply) {
    return whenTimes(1, when, reply);
  }

  /** Answers the first {@code times} matching requests. */
  public synchronized ScriptedModel whenTimes(int times, Predicate<ChatRequest> when, Reply reply) {
    rules.add(new Rule(when, r -> reply, new int[] {times}));
    return this;
  }

  /** The answer when no rule matches (by default an {@code INVALID_REQUEST} failure, counted as unmatched). */
  public synchronized ScriptedModel otherwise(Function<ChatRequest, Reply> reply) {
    this.otherwise = reply;
    return this;
  }

  /** Every request so far, in arrival order. */
  public synchronized List<ChatRequest> requests() {
    return List.copyOf(recorded);
  }

  /** Every request since the last call, in arrival order; forgets them (for long runs). */
  public synchronized List<ChatRequest> takeRequests() {
    List<ChatRequest> out = List.copyOf(recorded);
    recorded.clear();
    return out;
  }

  /** Requests that no rule matched. */
  public synchronized int unmatched() {
    return unmatched;
  }

  /** Picks the reply for {@code request} and records it. Non-blocking: called inside the actor. */
  synchronized Reply answer(ChatRequest request) {
    recorded.add(request);
    for (Rule rule : rules) {
      if (rule.usesLeft()[0] != 0 && rule.when().test(request)) {
        if (rule.usesLeft()[0] > 0) {
          rule.usesLeft()[0]--;
        }
        return rule.reply().apply(request);
      }
    }
    unmatched++;
    return otherwise.apply(request);
  }

  /** The gateway actor: answers {@link LlmGateway.Chat} with the call's correlation id. */
  public Behavior<LlmGateway.Command> behavior() {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      Map<String, Object> pendingByKey = new HashMap<>();
      long[] seq = {0};
      return Behaviors.receive(Object.class)
          .onMessage(LlmGateway.Chat.class, chat -> {
            Reply reply = answer(chat.request());
            if (reply.noAnswer()) {
              return Behaviors.same();
            }
            Due due = new Due(chat, reply);
            if (reply.latency().isZero()) {
              deliver(due);
            } else {
              Object timerKey = "chat-" + (++seq[0]);
              if (chat.callKey() != null) {
                pendingByKey.put(chat.callKey(), timerKey);
              }
              timers.startSingleTimer(timerKey, due, reply.latency());
            }
            return Behaviors.same();
          })
          .onMessage(Due.class, due -> {
            if (due.chat().callKey() != null) {
              pendingByKey.remove(due.chat().callKey());
            }
            deliver(due);
            return Behaviors.same();
          })
          .onMessage(LlmGateway.CancelChat.class, c -> {
            Object timerKey = pendingByKey.remove(c.callKey());
            if (timerKey != null) {
              timers.cancel(timerKey);
            }
            return Behaviors.same();
          })
          .onMessage(LlmGateway.GetStatus.class, g -> {
            g.replyTo().tell(new LlmGateway.Status(List.of(new LlmGateway.TargetStatus(
                "testkit", "scripted", LlmGateway.BreakerState.CLOSED, true, 0, 0))));
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }

  private record Due(LlmGateway.Chat chat, Reply reply) {}

  private static void deliver(Due due) {
    LlmGateway.Chat chat = due.chat();
    Reply reply = due.reply();
    if (chat.deltaTo() != null) {
      List<String> deltas = reply.deltas();
      if (deltas.isEmpty() && chat.request().stream() && reply.response() != null
          && !reply.response().message().content().isEmpty()) {
        deltas = List.of(reply.response().message().content());
      }
      deltas.forEach(d -> chat.deltaTo().tell(ChatDelta.text(d)));
    }
    LlmGateway.ChatResult result = reply.response() != null
        ? LlmGateway.ChatResult.ok(reply.response())
        : new LlmGateway.ChatResult(null, reply.failure());
    chat.replyTo().tell(result.answering(chat.corr()));
  }
}
