package io.troupe.core.guardrail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.guardrail.policy.RedactSecrets;
import io.troupe.core.json.Json;
import java.util.Iterator;
import java.util.Map;
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
    // Most details hold nothing to redact: their strings are looked at one by one, not written out.
    if (!mayMatch(data)) return data;
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

  /** Whether a string, a field name or a number in the tree may hold what the policy redacts. */
  private boolean mayMatch(JsonNode node) {
    if (node.isTextual()) return redact.mayMatch(node.textValue());
    if (node.isNumber()) return redact.mayMatch(node.asText());
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (redact.mayMatch(field.getKey()) || mayMatch(field.getValue())) return true;
      }
      return false;
    }
    if (node.isArray()) {
      for (JsonNode element : node) {
        if (mayMatch(element)) return true;
      }
    }
    return false;
  }
}
