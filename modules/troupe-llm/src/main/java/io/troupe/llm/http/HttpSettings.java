package io.troupe.llm.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The client side of one provider's HTTP traffic ({@code troupe.llm.http}, overridable per
 * provider in its own {@code http} block).
 *
 * @param maxConnections open connections per host at most
 * @param maxOpenRequests requests waiting for or holding a connection, per host (a power of 2);
 *     beyond it a request fails at once with OVERLOADED
 * @param connectingTimeout how long a TCP + TLS connect may take
 * @param idleTimeout a connection without a byte in either direction for this long fails with TIMEOUT
 * @param maxResponseBytes the largest non-streaming body, and the largest single SSE event
 * @param baseConnectionBackoff after a failed connection attempt, the pool waits this long before the
 *     next one to the host, doubling up to {@code maxConnectionBackoff}
 */
public record HttpSettings(
    int maxConnections, int maxOpenRequests, Duration connectingTimeout, Duration idleTimeout, int maxResponseBytes,
    Duration baseConnectionBackoff, Duration maxConnectionBackoff) {

  public HttpSettings(
      int maxConnections, int maxOpenRequests, Duration connectingTimeout, Duration idleTimeout, int maxResponseBytes) {
    this(maxConnections, maxOpenRequests, connectingTimeout, idleTimeout, maxResponseBytes, Duration.ofMillis(100),
        Duration.ofSeconds(5));
  }

  /** Reads a block with the keys above; missing keys fall back to {@code defaults}. */
  public static HttpSettings fromConfig(Config c) {
    return new HttpSettings(
        c.getInt("max-connections"),
        c.getInt("max-open-requests"),
        c.getDuration("connecting-timeout"),
        c.getDuration("idle-timeout"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-response-size")),
        c.hasPath("base-connection-backoff") ? c.getDuration("base-connection-backoff") : Duration.ofMillis(100),
        c.hasPath("max-connection-backoff") ? c.getDuration("max-connection-backoff") : Duration.ofSeconds(5));
  }

  public HttpSettings {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max-connections must be at least 1, was " + maxConnections);
    }
    if (maxOpenRequests < 1 || Integer.bitCount(maxOpenRequests) != 1) {
      throw new IllegalArgumentException("max-open-requests must be a power of 2, was " + maxOpenRequests);
    }
  }
}
