package io.troupe.http.mcp;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * {@code troupe.mcp.server}: whether the node answers MCP at {@code path}, what it exposes there,
 * and how long a tool call or an agent run may take before the MCP host gets an error result.
 */
public record McpEndpointSettings(boolean enabled, String path, boolean exposeTools, boolean exposeAgents,
    Duration toolCallTimeout, Duration agentTimeout, List<String> allowedOrigins) {

  public static final McpEndpointSettings OFF =
      new McpEndpointSettings(false, "/mcp", true, true, Duration.ofSeconds(60), Duration.ofSeconds(120), List.of());

  public McpEndpointSettings {
    allowedOrigins = List.copyOf(allowedOrigins);
    if (path == null || !path.startsWith("/") || path.length() < 2 || path.endsWith("/")) {
      throw new IllegalArgumentException("troupe.mcp.server.path must start with '/' and name a path, like /mcp, not '"
          + path + "'");
    }
  }

  /** From the root config; {@link #OFF} when it has no {@code troupe.mcp.server}. */
  public static McpEndpointSettings fromConfig(Config root) {
    if (!root.hasPath("troupe.mcp.server")) return OFF;
    Config c = root.getConfig("troupe.mcp.server");
    return new McpEndpointSettings(c.getBoolean("enabled"), c.getString("path"), c.getBoolean("expose-tools"),
        c.getBoolean("expose-agents"), c.getDuration("tool-call-timeout"), c.getDuration("agent-timeout"),
        c.hasPath("allowed-origins") ? c.getStringList("allowed-origins") : List.of());
  }

  /** The longer of the two timeouts: what a request to the endpoint may take at most. */
  Duration longestCall() {
    return toolCallTimeout.compareTo(agentTimeout) > 0 ? toolCallTimeout : agentTimeout;
  }

  /** The path's segments, without the leading slash. */
  String[] segments() {
    return path.substring(1).split("/");
  }
}
