package io.troupe.metrics;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * The {@code troupe.metrics} settings.
 *
 * @param maxLabelValues distinct values one label may take before the rest read {@code other}
 * @param intentBuckets histogram bucket bounds of {@code troupe_intent_duration_seconds}
 */
public record MetricsSettings(boolean enabled, boolean jvm, List<String> dispatchers, int maxLabelValues,
    Duration[] intentBuckets, Duration[] modelCallBuckets, Duration[] toolCallBuckets,
    String defaultProvider, String defaultModel) {

  public MetricsSettings {
    if (maxLabelValues < 1) throw new IllegalArgumentException("troupe.metrics.max-label-values must be at least 1");
    dispatchers = List.copyOf(dispatchers);
  }

  /** From the root config; the provider and model of a failed model call default to troupe.llm's. */
  public static MetricsSettings fromConfig(Config root) {
    Config c = root.getConfig("troupe.metrics");
    String provider = root.hasPath("troupe.llm.provider") ? root.getString("troupe.llm.provider") : "";
    String model = root.hasPath("troupe.agent.model") ? root.getString("troupe.agent.model") : "";
    if (model.isBlank() && root.hasPath("troupe.llm.model")) model = root.getString("troupe.llm.model");
    return new MetricsSettings(c.getBoolean("enabled"), c.getBoolean("jvm"), c.getStringList("dispatchers"),
        c.getInt("max-label-values"), seconds(c.getDoubleList("intent-duration-buckets")),
        seconds(c.getDoubleList("model-call-duration-buckets")), seconds(c.getDoubleList("tool-call-duration-buckets")),
        provider.isBlank() ? "unknown" : provider, model.isBlank() ? "default" : model);
  }

  private static Duration[] seconds(List<Double> values) {
    return values.stream().map(v -> Duration.ofNanos(Math.round(v * 1e9))).toArray(Duration[]::new);
  }
}
