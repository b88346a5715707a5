package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import java.util.Set;

/** {@code troupe.guardrail.tool-allow-list}: the tools the loop may call; empty allows every one. */
public final class ToolAllowList implements GuardrailPolicy {
  public static final String NAME = "tool-allow-list";

  private final Set<String> allowed;

  public ToolAllowList(Set<String> allowed) {
    this.allowed = Set.copyOf(allowed);
  }

  public boolean allows(String tool) {
    return allowed.isEmpty() || allowed.contains(tool);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    if (target.kind() != GuardTarget.Kind.TOOL_CALL || allows(target.tool())) return Verdict.allow();
    return Verdict.deny(NAME, "the tool '" + target.tool() + "' is not on the allow-list");
  }
}
