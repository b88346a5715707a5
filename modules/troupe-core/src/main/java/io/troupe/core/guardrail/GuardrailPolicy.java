package io.troupe.core.guardrail;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The basic policies, from {@code troupe.guardrail}.
 *
 * @param toolAllowList tools the loop may call; empty means every registered tool
 * @param sqlTools tools whose {@code sql} argument must be a single read-only statement
 */
public record GuardrailPolicy(
    int maxInputChars,
    int maxAnswerChars,
    List<Pattern> denyPatterns,
    Set<String> toolAllowList,
    boolean sqlReadOnly,
    Set<String> sqlTools) {

  public static GuardrailPolicy fromConfig(Config troupe) {
    Config c = troupe.getConfig("guardrail");
    return new GuardrailPolicy(
        c.getInt("max-input-chars"),
        c.getInt("max-answer-chars"),
        c.getStringList("deny-patterns").stream().map(Pattern::compile).toList(),
        Set.copyOf(c.getStringList("tool-allow-list")),
        c.getBoolean("sql-read-only"),
        Set.copyOf(c.getStringList("sql-tools")));
  }

  public boolean toolAllowed(String tool) {
    return toolAllowList.isEmpty() || toolAllowList.contains(tool);
  }
}
