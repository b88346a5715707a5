package io.troupe.tools.mcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import io.troupe.core.tools.Tool;
import io.troupe.tools.api.ToolLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One configured MCP server ({@code troupe.tools.mcp.servers.<name>}).
 *
 * @param name the server's name in config; tools are {@code source = "mcp:<name>"}
 * @param transport {@code stdio} or {@code http} (streamable HTTP)
 * @param command for stdio: the program and its arguments
 * @param env for stdio: extra environment variables
 * @param url for http: the MCP endpoint
 * @param headers for http: extra request headers (e.g. authorization; never logged)
 * @param prefix put before each tool's name
 * @param effect the effect of every tool of the server, or null to read it from the tool's annotations
 * @param limits timeout and bulkhead of each tool of the server
 */
public record McpServerSettings(
    String name,
    String transport,
    List<String> command,
    Map<String, String> env,
    String url,
    Map<String, String> headers,
    String prefix,
    Tool.Effect effect,
    ToolLimits limits) {

  /** Every server under {@code troupe.tools.mcp.servers}, in name order. */
  public static List<McpServerSettings> all(Config tools) {
    Config servers = tools.getConfig("mcp.servers");
    List<McpServerSettings> out = new ArrayList<>();
    servers.root().keySet().stream().sorted().forEach(name -> out.add(of(name, servers.getConfig(quote(name)))));
    return out;
  }

  static McpServerSettings of(String name, Config c) {
    String transport = c.hasPath("transport") ? c.getString("transport").toLowerCase(Locale.ROOT) : "stdio";
    List<String> command = List.of();
    String url = null;
    switch (transport) {
      case "stdio" -> {
        command = c.getValue("command").valueType() == ConfigValueType.LIST
            ? c.getStringList("command") : List.of(c.getString("command").trim().split("\\s+"));
        if (command.isEmpty() || command.get(0).isBlank()) {
          throw new IllegalArgumentException("troupe.tools.mcp.servers." + name + ".command is empty");
        }
      }
      case "http", "streamable-http" -> {
        transport = "http";
        url = c.getString("url");
      }
      default -> throw new IllegalArgumentException(
          "troupe.tools.mcp.servers." + name + ".transport must be stdio or http, not '" + transport + "'");
    }
    return new McpServerSettings(
        name,
        transport,
        List.copyOf(command),
        strings(c, "env"),
        url,
        strings(c, "headers"),
        c.hasPath("prefix") ? c.getString("prefix") : name + "_",
        c.hasPath("effect") ? Tool.Effect.valueOf(c.getString("effect").toUpperCase(Locale.ROOT)) : null,
        new ToolLimits(
            c.hasPath("timeout") ? c.getDuration("timeout") : null,
            c.hasPath("max-concurrent") ? c.getInt("max-concurrent") : 0,
            c.hasPath("max-queue") ? c.getInt("max-queue") : -1));
  }

  private static Map<String, String> strings(Config c, String path) {
    Map<String, String> out = new LinkedHashMap<>();
    if (c.hasPath(path)) {
      Config sub = c.getConfig(path);
      sub.root().keySet().forEach(k -> out.put(k, sub.getString(quote(k))));
    }
    return Map.copyOf(out);
  }

  private static String quote(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }

  /** Where the server is, without secrets (no env values, no headers). */
  public String target() {
    return "stdio".equals(transport) ? "stdio:" + command.get(0) : url;
  }

  /** Timeouts of the client. */
  public record Timeouts(Duration request, Duration init, Duration retry) {
    public static Timeouts of(Config tools) {
      return new Timeouts(
          tools.getDuration("mcp.request-timeout"), tools.getDuration("mcp.init-timeout"), tools.getDuration("mcp.retry-interval"));
    }
  }
}
