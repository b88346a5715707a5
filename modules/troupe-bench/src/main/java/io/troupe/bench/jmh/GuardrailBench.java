package io.troupe.bench.jmh;

import static java.lang.invoke.MethodType.methodType;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.guardrail.GuardrailSettings;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The guardrail's checks of one intent, one tool call and one answer, with the shipped policy
 * (troupe.guardrail of reference.conf: two deny patterns, SQL read-only for sql_query). The
 * checks are the guardrail actor's own methods, called directly: no message, no mailbox.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GuardrailBench {

  private static final MethodHandle CHECK_INTENT = Internals.virtual(Guardrail.class, "checkIntent",
      methodType(Verdict.class, String.class), methodType(Verdict.class, Guardrail.class, String.class));
  private static final MethodHandle CHECK_TOOL_CALL = Internals.virtual(Guardrail.class, "checkToolCall",
      methodType(Verdict.class, ToolCall.class), methodType(Verdict.class, Guardrail.class, ToolCall.class));
  private static final MethodHandle CHECK_ANSWER = Internals.virtual(Guardrail.class, "checkAnswer",
      methodType(Verdict.class, String.class), methodType(Verdict.class, Guardrail.class, String.class));

  static final String INTENT = "Our warehouse in Lyon shipped 2,340 orders last month and 17% of them came back. "
      + "How many returns is that, and which product categories had the most returns according to the orders "
      + "table? Keep the answer short and give the numbers first.";
  static final String ANSWER = "17% of 2,340 orders is 397.8, so about 398 orders came back last month. "
      + "By category, according to the orders table: kitchen appliances 121 returns, small electronics 97, "
      + "garden furniture 64, bedding 52 and toys 41; the remaining 23 returns are spread over eleven other "
      + "categories with fewer than five each. Kitchen appliances and small electronics together account for "
      + "more than half of all returns, so these two are where a closer look at the reasons would pay off first.";

  private LocalSystem.Built<Guardrail> built;
  private Guardrail guardrail;
  private ToolCall calculatorCall;
  private ToolCall sqlCall;

  @Setup(Level.Trial)
  public void setUp() {
    GuardrailSettings policy = GuardrailSettings.fromConfig(ConfigFactory.defaultReference().getConfig("troupe"));
    built = LocalSystem.withContext("guardrail-bench", ctx -> Internals.construct(Guardrail.class,
        new Class<?>[] {ActorContext.class, GuardrailSettings.class}, ctx, policy));
    guardrail = built.value();
    calculatorCall = new ToolCall("call_1", "calculator", Json.object().put("expression", "17% of 2340"));
    sqlCall = new ToolCall("call_2", "sql_query", Json.object().put("sql",
        "SELECT category, count(*) AS returns FROM orders WHERE status = 'returned' "
            + "AND shipped_at >= date '2026-10-01' GROUP BY category ORDER BY returns DESC LIMIT 10"));
    // Each check must allow its input: a denial would measure a different path.
    for (Verdict v : new Verdict[] {checkIntent(), checkToolCall(), checkSqlToolCall(), checkAnswer()}) {
      if (!v.isAllow()) throw new IllegalStateException("the sample input is not allowed: " + v);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    built.system().terminate();
  }

  @Benchmark
  public Verdict checkIntent() {
    return call(CHECK_INTENT, INTENT);
  }

  /** A calculator call: allow-list and deny patterns over the arguments' JSON text. */
  @Benchmark
  public Verdict checkToolCall() {
    return callTool(calculatorCall);
  }

  /** A sql_query call: as above plus the read-only SQL check. */
  @Benchmark
  public Verdict checkSqlToolCall() {
    return callTool(sqlCall);
  }

  @Benchmark
  public Verdict checkAnswer() {
    return call(CHECK_ANSWER, ANSWER);
  }

  private Verdict call(MethodHandle check, String text) {
    try {
      return (Verdict) check.invokeExact(guardrail, text);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private Verdict callTool(ToolCall call) {
    try {
      return (Verdict) CHECK_TOOL_CALL.invokeExact(guardrail, call);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
