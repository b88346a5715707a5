package io.troupe.core.guardrail.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import java.util.Optional;
import java.util.Set;

/** {@code troupe.guardrail.sql-read-only}: the {@code sql} argument of the SQL tools is one read-only statement. */
public final class SqlReadOnly implements GuardrailPolicy {
  public static final String NAME = "sql-read-only";

  private final Set<String> sqlTools;

  public SqlReadOnly(Set<String> sqlTools) {
    this.sqlTools = Set.copyOf(sqlTools);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    if (target.kind() != GuardTarget.Kind.TOOL_CALL || !sqlTools.contains(target.tool())) return Verdict.allow();
    JsonNode sql;
    try {
      sql = target.text() == null ? null : Json.parse(target.text()).get("sql");
    } catch (RuntimeException e) {
      sql = null;
    }
    Optional<String> violation = ReadOnlySql.violation(sql == null || !sql.isTextual() ? null : sql.asText());
    return violation.map(v -> Verdict.deny(NAME, v)).orElse(Verdict.allow());
  }
}
