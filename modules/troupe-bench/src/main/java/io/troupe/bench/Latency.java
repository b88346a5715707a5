package io.troupe.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Latencies in microseconds, recorded from any thread (an HdrHistogram {@link Recorder}). */
public final class Latency {
  private final Recorder recorder = new Recorder(3);
  private Histogram total;

  /** Records one value in microseconds (negative values count as 0). */
  public void recordMicros(long micros) {
    recorder.recordValue(Math.max(0, micros));
  }

  /** The histogram of everything recorded so far (call once recording is over). */
  public synchronized Histogram histogram() {
    Histogram interval = recorder.getIntervalHistogram();
    if (total == null) {
      total = interval.copy();
    } else {
      total.add(interval);
    }
    return total;
  }

  /** count, p50, p90, p99, p99.9, max in milliseconds. */
  public ObjectNode summaryMillis() {
    Histogram h = histogram();
    ObjectNode o = Json.object();
    o.put("count", h.getTotalCount());
    o.put("p50Ms", ms(h.getValueAtPercentile(50)));
    o.put("p90Ms", ms(h.getValueAtPercentile(90)));
    o.put("p99Ms", ms(h.getValueAtPercentile(99)));
    o.put("p999Ms", ms(h.getValueAtPercentile(99.9)));
    o.put("maxMs", ms(h.getMaxValue()));
    return o;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
