package io.troupe.core.guardrail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.guardrail.policy.RedactSecrets;
import io.troupe.core.json.Json;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Redaction of what a run records: steps and stream events carry tool outputs and model text before
 * the guardrail has seen them as model input or answer, so the same {@code troupe.guardrail.redact}
 * applies to them as they are recorded. Stateless, so one per node serves every session.
 */
public final class TraceRedaction implements Extension {

  private static final ExtensionId<TraceRedaction> ID = new ExtensionId<>() {
    @Override
    public TraceRedaction createExtension(ActorSystem<?> system) {
      var kinds = system.settings().config().getStringList("troupe.guardrail.redact");
      return new TraceRedaction(kinds.isEmpty() ? null : new RedactSecrets(kinds));
    }
  };

  public static TraceRedaction get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final RedactSecrets redact;

  TraceRedaction(RedactSecrets redact) {
    this.redact = redact;
  }

  /**
   * Whether a step kind or an event type carries what came from outside (a tool's arguments or
   * output, a model's text): only those are scrubbed, the rest (verdicts, plans, ends) costs nothing.
   */
  public static boolean carriesContent(String kindOrType) {
    return kindOrType.equals("tool") || kindOrType.equals("model") || kindOrType.equals("answer")
        || kindOrType.startsWith("tool.") || kindOrType.startsWith("model.");
  }

  /** The data with secrets redacted; the same instance when there is none. */
  public JsonNode scrub(JsonNode data) {
    if (redact == null || data == null || !data.isContainerNode() && !data.isTextual()) return data;
    String text = data.toString();
    Verdict v = redact.check(GuardTarget.of(GuardTarget.Kind.MODEL_INPUT, text));
    if (!v.isRewrite()) return data;
    try {
      return Json.parse(v.rewritten());
    } catch (RuntimeException e) {
      // A number redacted out of a JSON number: the structure is gone, the reason stays.
      return Json.object().put("redacted", v.reason());
    }
  }
}
