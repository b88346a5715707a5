package io.troupe.core.guardrail;

import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmGateway;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One judgement of the model-judged policy: asks the gateway about one intent, tells the run's host
 * the verdict ({@link Guardrail.Judged}) once, and stops. Past its timeout it cancels the provider's
 * request and {@code fail-open} decides.
 */
final class ModelJudge {

  static final String POLICY = "model-judge";

  sealed interface Command {}

  private record Replied(LlmGateway.ChatResult result) implements Command {}

  private enum TimedOut implements Command { INSTANCE }

  private ModelJudge() {}

  static Behavior<Command> create(ModelJudgeSettings settings, ActorRef<LlmGateway.Command> llm, long corr,
      String intentId, String text, ActorRef<Guardrail.Answer> replyTo) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      long started = System.nanoTime();
      String callKey = "judge:" + intentId + ":" + corr;
      String shown = text.length() > settings.maxChars() ? text.substring(0, settings.maxChars()) : text;
      ChatRequest request = new ChatRequest(settings.model().isBlank() ? null : settings.model(),
          List.of(ChatMessage.system(settings.instructions()), ChatMessage.user("<request>\n" + shown + "\n</request>")),
          List.of(), 64, false);
      llm.tell(new LlmGateway.Chat(corr, request, null, ctx.messageAdapter(LlmGateway.ChatResult.class, Replied::new),
          callKey));
      timers.startSingleTimer(TimedOut.INSTANCE, settings.timeout());
      return Behaviors.receive(Command.class)
          .onMessage(Replied.class, r -> {
            String failure = failureOf(r.result());
            Verdict verdict = failure == null ? verdictOf(r.result().response().message().content()) : null;
            replyTo.tell(judged(corr, settings, verdict, verdict == null && failure == null
                ? "the judge answered neither ALLOW nor DENY" : failure, started));
            return Behaviors.stopped();
          })
          .onMessageEquals(TimedOut.INSTANCE, () -> {
            llm.tell(new LlmGateway.CancelChat(callKey));
            replyTo.tell(judged(corr, settings, null,
                "the judge did not answer within " + settings.timeout().toMillis() + " ms", started));
            return Behaviors.stopped();
          })
          .build();
    }));
  }

  /** {@code ALLOW} or {@code DENY} with an optional {@code : reason}; null for anything else. */
  static Verdict verdictOf(String said) {
    String line = said == null ? "" : said.strip();
    String upper = line.toUpperCase(Locale.ROOT);
    if (upper.startsWith("ALLOW")) return Verdict.allow();
    if (!upper.startsWith("DENY")) return null;
    String reason = line.substring(4).replaceFirst("^[\\s:\\-]+", "").strip();
    int end = reason.indexOf('\n');
    if (end >= 0) reason = reason.substring(0, end);
    if (reason.length() > 200) reason = reason.substring(0, 200);
    return Verdict.deny(POLICY, reason.isEmpty() ? "the judge denied the intent" : "the judge denied the intent: " + reason);
  }

  private static String failureOf(LlmGateway.ChatResult result) {
    if (result.failure() != null) return "the judge's model call failed (" + result.failure().code() + ")";
    if (result.response() == null) return "the judge's model call gave no response";
    return null;
  }

  /** A verdict, or for a failure what {@code fail-open} makes of it, the failure named. */
  private static Guardrail.Judged judged(long corr, ModelJudgeSettings settings, Verdict verdict, String failure,
      long startedNanos) {
    double millis = (System.nanoTime() - startedNanos) / 1e6;
    if (verdict != null) return new Guardrail.Judged(corr, verdict, millis, null);
    Verdict decided = settings.failOpen() ? Verdict.allow() : Verdict.deny(POLICY, failure + ", and it fails closed");
    return new Guardrail.Judged(corr, decided, millis, failure);
  }
}
