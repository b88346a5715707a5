package io.troupe.core.runtime;

import java.util.Map;

/** Readiness per subsystem, as served by {@code GET /health/ready}. */
public record Readiness(boolean ready, Map<String, SubsystemState> subsystems) {

  /**
   * @param status starting, initializing, ready or down
   * @param initMillis how long the last successful init took, or null
   * @param error why it is down, or null
   */
  public record SubsystemState(String status, Long initMillis, String error, int attempts) {
    public boolean isReady() {
      return "ready".equals(status);
    }
  }

  public boolean isReady(String subsystem) {
    SubsystemState s = subsystems.get(subsystem);
    return s != null && s.isReady();
  }
}
