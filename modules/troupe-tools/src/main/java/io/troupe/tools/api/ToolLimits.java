package io.troupe.tools.api;

import java.time.Duration;

/**
 * How the registry runs one tool. Zero (or a null timeout, or a negative queue) means the
 * registry's default from {@code troupe.tools.defaults}.
 *
 * @param timeout a call not answered by then gets an error result
 * @param maxConcurrent calls running at once at most (the bulkhead)
 * @param maxQueue calls waiting for a slot at most; a call beyond gets an error result at once
 */
public record ToolLimits(Duration timeout, int maxConcurrent, int maxQueue) {
  /** Every limit from the registry's defaults. */
  public static final ToolLimits DEFAULTS = new ToolLimits(null, 0, -1);
}
