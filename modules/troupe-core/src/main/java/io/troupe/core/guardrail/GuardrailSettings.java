package io.troupe.core.guardrail;

import com.typesafe.config.Config;
import io.troupe.core.guardrail.policy.DenyPatterns;
import io.troupe.core.guardrail.policy.PromptInjection;
import io.troupe.core.guardrail.policy.RedactSecrets;
import io.troupe.core.guardrail.policy.SizeLimits;
import io.troupe.core.guardrail.policy.SpendBudget;
import io.troupe.core.guardrail.policy.SqlReadOnly;
import io.troupe.core.guardrail.policy.ToolAllowList;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The guardrail's settings, from {@code troupe.guardrail}, and the policies they make: the built-in
 * ones, then those named in {@code policies}, then those added in Java.
 *
 * @param toolAllowList tools the loop may call; empty means every registered tool
 * @param sqlTools tools whose {@code sql} argument must be a single read-only statement
 * @param redact what {@link RedactSecrets} redacts: {@code api-keys}, {@code cards}, {@code emails}
 * @param failOpen whether a policy that throws allows (true) or denies (false)
 * @param custom policies loaded by class name or added in Java; shared by every guardrail actor
 * @param budgetTokens tokens an intent may spend, checked before each model call (0: no limit)
 * @param budgetCostUsd what an intent may cost, checked before each model call (0: no limit)
 * @param judge the model-judged policy on intents
 * @param promptInjection {@code prompt-injection}: the built-in injection heuristics
 */
public record GuardrailSettings(
    int maxInputChars,
    int maxAnswerChars,
    List<Pattern> denyPatterns,
    Set<String> toolAllowList,
    boolean sqlReadOnly,
    Set<String> sqlTools,
    List<String> redact,
    boolean failOpen,
    List<GuardrailPolicy> custom,
    Set<String> requireApproval,
    long budgetTokens,
    double budgetCostUsd,
    ModelJudgeSettings judge,
    String version,
    PromptInjectionSettings promptInjection) {

  /** {@code troupe.guardrail.prompt-injection}: whether it runs, its threshold and the targets it checks. */
  public record PromptInjectionSettings(boolean enabled, int threshold, List<GuardTarget.Kind> targets, int maxChars) {
    public static final PromptInjectionSettings OFF = new PromptInjectionSettings(false, 3, List.of(), 100_000);

    static PromptInjectionSettings fromConfig(Config c) {
      if (!c.hasPath("prompt-injection")) return OFF;
      Config p = c.getConfig("prompt-injection");
      return new PromptInjectionSettings(p.getBoolean("enabled"), p.getInt("threshold"),
          PromptInjection.kinds(p.getStringList("targets")), p.getInt("max-chars"));
    }
  }

  public static GuardrailSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("guardrail");
    List<GuardrailPolicy> custom = new ArrayList<>();
    for (String className : c.getStringList("policies")) custom.add(load(className, troupe));
    // The policies' version: a digest of their settings. A change between an approval's request and
    // its decision means the call is checked again.
    String version = digest(c.root().render(com.typesafe.config.ConfigRenderOptions.concise())).substring(0, 16);
    return new GuardrailSettings(
        c.getInt("max-input-chars"),
        c.getInt("max-answer-chars"),
        c.getStringList("deny-patterns").stream().map(Pattern::compile).toList(),
        Set.copyOf(c.getStringList("tool-allow-list")),
        c.getBoolean("sql-read-only"),
        Set.copyOf(c.getStringList("sql-tools")),
        List.copyOf(c.getStringList("redact")),
        c.getBoolean("fail-open"),
        List.copyOf(custom),
        Set.copyOf(c.getStringList("require-approval")),
        c.getLong("budget.max-tokens"),
        c.getDouble("budget.max-cost-usd"),
        ModelJudgeSettings.fromConfig(c.getConfig("model-judge")),
        version,
        PromptInjectionSettings.fromConfig(c));
  }

  /** These settings with one more policy, registered in Java. */
  public GuardrailSettings withPolicy(GuardrailPolicy policy) {
    List<GuardrailPolicy> more = new ArrayList<>(custom);
    more.add(policy);
    return new GuardrailSettings(maxInputChars, maxAnswerChars, denyPatterns, toolAllowList, sqlReadOnly, sqlTools,
        redact, failOpen, List.copyOf(more), requireApproval, budgetTokens, budgetCostUsd, judge,
        digest(version + "+" + policy.getClass().getName()).substring(0, 16), promptInjection);
  }

  public boolean toolAllowed(String tool) {
    return toolAllowList.isEmpty() || toolAllowList.contains(tool);
  }

  /** The policies of one guardrail actor, in order: the built-in ones hold state that is not shared. */
  public List<GuardrailPolicy> policies() {
    List<GuardrailPolicy> all = new ArrayList<>();
    all.add(new SizeLimits(maxInputChars, maxAnswerChars));
    all.add(new ToolAllowList(toolAllowList));
    if (!denyPatterns.isEmpty()) all.add(new DenyPatterns(denyPatterns));
    if (sqlReadOnly) all.add(new SqlReadOnly(sqlTools));
    if (!redact.isEmpty()) all.add(new RedactSecrets(redact));
    // After deny-patterns, which must see the text as it came.
    if (promptInjection.enabled()) all.add(new PromptInjection(promptInjection.threshold(), promptInjection.targets(),
        promptInjection.maxChars()));
    if (!requireApproval.isEmpty()) all.add(new io.troupe.core.guardrail.policy.RequireApproval(requireApproval));
    if (budgetTokens > 0 || budgetCostUsd > 0) all.add(new SpendBudget(budgetTokens, budgetCostUsd));
    all.addAll(custom);
    return all;
  }

  /** SHA-256 of the text, in hex: the policies' version, and what an approval binds a call's arguments by. */
  public static String digest(String text) {
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(hash);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A policy by class name: a public constructor taking the {@code troupe} config, or none. */
  public static GuardrailPolicy load(String className, Config troupe) {
    try {
      Class<?> type = Class.forName(className);
      if (!GuardrailPolicy.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException("troupe.guardrail.policies: " + className + " does not implement "
            + GuardrailPolicy.class.getName());
      }
      try {
        Constructor<?> withConfig = type.getConstructor(Config.class);
        return (GuardrailPolicy) withConfig.newInstance(troupe);
      } catch (NoSuchMethodException e) {
        return (GuardrailPolicy) type.getConstructor().newInstance();
      }
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      throw new IllegalArgumentException("troupe.guardrail.policies: the policy " + className
          + " could not be loaded: " + e, e);
    }
  }
}
