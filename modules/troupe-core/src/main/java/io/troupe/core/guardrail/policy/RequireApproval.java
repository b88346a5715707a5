package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import java.util.Set;

/** {@code troupe.guardrail.require-approval}: calls of these tools wait for a person's approval. */
public final class RequireApproval implements GuardrailPolicy {
  public static final String NAME = "require-approval";

  private final Set<String> tools;

  public RequireApproval(Set<String> tools) {
    this.tools = Set.copyOf(tools);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    if (target.kind() != GuardTarget.Kind.TOOL_CALL || !tools.contains(target.tool())) return Verdict.allow();
    return Verdict.requireApproval(NAME, "'" + target.tool() + "' runs only with a person's approval");
  }
}
