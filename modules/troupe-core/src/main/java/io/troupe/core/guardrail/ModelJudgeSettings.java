package io.troupe.core.guardrail;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The model-judged policy ({@code troupe.guardrail.model-judge}): a classifier prompt sent through
 * the LLM gateway about each intent, in parallel with the run it guards. A deny trips the run.
 *
 * @param enabled off by default: it costs a model call per intent
 * @param instructions the classifier's system prompt; it asks for {@code ALLOW} or {@code DENY: reason}
 * @param model the model name for the gateway; empty for the provider's default
 * @param timeout how long the judge may take; past it, {@code failOpen} decides
 * @param failOpen whether a judge that fails, times out or answers unreadably allows (true) or trips (false)
 * @param maxChars the intent text the judge sees at most
 */
public record ModelJudgeSettings(
    boolean enabled, String instructions, String model, Duration timeout, boolean failOpen, int maxChars) {

  public static final ModelJudgeSettings OFF =
      new ModelJudgeSettings(false, "", "", Duration.ofSeconds(10), true, 4000);

  public static ModelJudgeSettings fromConfig(Config c) {
    ModelJudgeSettings s = new ModelJudgeSettings(c.getBoolean("enabled"), c.getString("instructions"),
        c.getString("model"), c.getDuration("timeout"), c.getBoolean("fail-open"), c.getInt("max-chars"));
    if (s.enabled && s.instructions.isBlank()) {
      throw new IllegalArgumentException("troupe.guardrail.model-judge.instructions: empty while the judge is enabled");
    }
    if (s.timeout.isNegative() || s.timeout.isZero()) {
      throw new IllegalArgumentException("troupe.guardrail.model-judge.timeout: must be positive");
    }
    return s;
  }
}
