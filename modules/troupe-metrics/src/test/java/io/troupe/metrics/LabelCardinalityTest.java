package io.troupe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.Step;
import io.troupe.core.tools.PublishedCatalog;
import io.troupe.core.tools.Tool;
import io.troupe.core.trace.StoredIntent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Thousands of intents with every id different and the open-ended names (models, tools a model
 * made up, error codes) drawn from large sets: the number of series stays bounded and no id reaches
 * a label.
 */
class LabelCardinalityTest {

  private static final int MAX_LABEL_VALUES = 5;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MetricsSettings settings = MetricsSettings.fromConfig(ConfigFactory.parseString(
      "troupe.metrics.max-label-values = " + MAX_LABEL_VALUES).withFallback(ConfigFactory.load()));
  private final PublishedCatalog catalog = new PublishedCatalog(3,
      List.of(new ToolSpec("calculator", "", Json.object()), new ToolSpec("current_time", "", Json.object())),
      Map.of("calculator", Tool.Effect.READ_ONLY, "current_time", Tool.Effect.READ_ONLY));

  private static Step step(int seq, String kind, String name, String status, com.fasterxml.jackson.databind.JsonNode d) {
    return new Step(seq, kind, name, status, 1_000_000_000L, 1_250_000_000L, d, "span-" + seq, "root");
  }

  private void run(IntentMetrics metrics, int intents, SplittableRandom random) {
    for (int i = 0; i < intents; i++) {
      String intentId = "tenant" + i + "~session-" + i + ".1";
      metrics.stepEnded(intentId, step(1, "guardrail", "intent", "allow", Json.object().put("target", "intent")));
      metrics.stepEnded(intentId, step(2, "model", "chat", "ok", Json.object()
          .put("provider", "p" + random.nextInt(20)).put("model", "model-" + random.nextInt(1000))
          .put("inputTokens", 10).put("outputTokens", 3)));
      String tool = random.nextBoolean() ? "calculator" : "made_up_" + random.nextInt(1_000_000);
      metrics.stepEnded(intentId, step(3, "tool", tool, random.nextBoolean() ? "ok" : "error", Json.object()));
      metrics.stepEnded(intentId, step(4, "model", "chat", "error", Json.object().put("error", "down " + i)));
      IntentStatus status = List.of(IntentStatus.SUCCEEDED, IntentStatus.FAILED, IntentStatus.CANCELLED, IntentStatus.INTERRUPTED)
          .get(random.nextInt(4));
      metrics.intentFinished(new StoredIntent(new IntentView(intentId, "tenant" + i + "~session-" + i, status, "text " + i,
          null, 1_000_000_000L, 2_000_000_000L, status == IntentStatus.FAILED
              ? Outcome.failed("code_" + random.nextInt(1000), "failed " + i, "none") : Outcome.answered("ok " + i),
          List.of(), IntentUsage.NONE, "trace" + i), List.of()));
    }
  }

  private static Set<String> values(Scrape s, String metric, String label) {
    return s.samples().stream().filter(x -> x.name().equals(metric)).map(x -> x.labels().get(label))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void labelsStayBoundedWhateverTheNamesAndNoIdReachesALabel() {
    IntentMetrics metrics = new IntentMetrics(registry, settings, () -> catalog);
    run(metrics, 3000, new SplittableRandom(42));
    Scrape s = new Scrape(registry.scrape());

    Set<String> models = values(s, "troupe_model_calls_total", "model");
    assertTrue(models.size() <= MAX_LABEL_VALUES + 2, "models: " + models); // the first five, other, the default
    assertTrue(models.contains(BoundedLabels.OTHER), "models: " + models);
    assertTrue(values(s, "troupe_model_calls_total", "provider").size() <= MAX_LABEL_VALUES + 2);
    // A tool the catalog does not list is "unknown", however many names a model makes up.
    assertEquals(Set.of("calculator", "unknown"), values(s, "troupe_tool_calls_total", "tool"));
    assertTrue(values(s, "troupe_intent_failures_total", "code").size() <= 32 + 1);
    assertEquals(Set.of("succeeded", "failed", "cancelled", "interrupted"), values(s, "troupe_intents_total", "status"));
    assertEquals(3000, s.of("troupe_intents_total", Map.of()).stream().mapToDouble(Scrape.Sample::value).sum());

    long troupeSeries = s.samples().stream().filter(x -> x.name().startsWith("troupe_")).count();
    assertTrue(troupeSeries < 2500, "series: " + troupeSeries);
    for (Scrape.Sample sample : s.samples()) {
      for (String v : sample.labels().values()) {
        assertTrue(!v.contains("session-") && !v.contains("~") && !v.startsWith("trace") && !v.startsWith("span-"),
            "an id in a label: " + sample);
      }
    }

    // Many more intents: each label keeps to its bound, so the series of a metric stay under the
    // product of its labels' bounds (provider x model x outcome: at most 6 x 6 x 2).
    run(metrics, 20_000, new SplittableRandom(7));
    Scrape more = new Scrape(registry.scrape());
    int bound = MAX_LABEL_VALUES + 1;
    assertTrue(more.of("troupe_model_calls_total", Map.of()).size() <= bound * bound * 2);
    assertTrue(values(more, "troupe_model_calls_total", "model").size() <= bound);
    assertEquals(Set.of("calculator", "unknown"), values(more, "troupe_tool_calls_total", "tool"));
    long after = more.samples().stream().filter(x -> x.name().startsWith("troupe_")).count();
    assertTrue(after < 2500, "series: " + after);
  }

  @Test
  void withNoPublishedCatalogToolNamesAreStillBounded() {
    IntentMetrics metrics = new IntentMetrics(registry, settings, () -> PublishedCatalog.EMPTY);
    run(metrics, 500, new SplittableRandom(1));
    Set<String> tools = values(new Scrape(registry.scrape()), "troupe_tool_calls_total", "tool");
    assertTrue(tools.size() <= MAX_LABEL_VALUES + 1, "tools: " + tools);
  }
}
