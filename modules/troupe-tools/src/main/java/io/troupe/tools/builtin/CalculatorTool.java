package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.tools.calc.Calculator;
import java.math.BigDecimal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code calculator {"expression"}} → {@code {"expression", "result"}}, exact decimal arithmetic. */
public final class CalculatorTool implements Tool {
  public static final String NAME = "calculator";

  private static final ToolSpec SPEC = new ToolSpec(NAME,
      "Evaluates an arithmetic expression exactly: + - * / ^, parentheses, decimals, percentages"
          + " (\"17% of 2340\", \"15 percent of 80\") and modulo (\"10 mod 3\").",
      Schemas.object(Json.object().set("expression",
          Schemas.string("The expression, e.g. \"17% of 2340\" or \"(3 + 4) * 2\"; thousands separators such as"
              + " 2,340 are allowed.").put("minLength", 1).put("maxLength", 1000)), "expression"));

  @Override
  public ToolSpec spec() {
    return SPEC;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    String expression = arguments.path("expression").asText();
    BigDecimal result = Calculator.evaluate(expression); // throws CalculationException: an error result
    return CompletableFuture.completedFuture(
        Json.object().put("expression", expression).set("result", PlainNumbers.node(result)));
  }
}
