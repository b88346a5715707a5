package io.troupe.otel;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code troupe.telemetry} settings (troupe-otel's reference.conf). */
public record TelemetrySettings(boolean captureContent, int exportQueue, Duration flushTimeout, int maxContentChars) {

  public TelemetrySettings {
    if (exportQueue < 1 || flushTimeout.isNegative() || flushTimeout.isZero() || maxContentChars < 16) {
      throw new IllegalArgumentException("invalid troupe.telemetry settings: " + this);
    }
  }

  /** From the root config. */
  public static TelemetrySettings fromConfig(Config config) {
    Config c = config.getConfig("troupe.telemetry");
    return new TelemetrySettings(c.getBoolean("capture-content"), c.getInt("export-queue"),
        c.getDuration("flush-timeout"), c.getInt("max-content-chars"));
  }
}
