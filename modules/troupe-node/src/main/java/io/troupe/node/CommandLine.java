package io.troupe.node;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code run [--port N] [--host H] [--data-dir D] [--seeds host:port,...] [--cluster-port N]}.
 * Flags become config overrides that beat environment variables.
 */
record CommandLine(String command, Map<String, Object> overrides) {

  static final String USAGE = String.join("\n",
      "usage: java -jar troupe-node.jar run [options]",
      "  --port N            HTTP port (TROUPE_HTTP_PORT, default 8080; 0 for any free port)",
      "  --host H            interface to bind (TROUPE_HTTP_HOST, default 127.0.0.1)",
      "  --data-dir D        H2 database and index directory (TROUPE_DATA_DIR, default ./data)",
      "  --seeds H:P,...     cluster seed nodes (TROUPE_CLUSTER_SEEDS; empty: a one-node cluster)",
      "  --cluster-port N    remoting port (TROUPE_CLUSTER_PORT, default 0: any free port)");

  static CommandLine parse(String... args) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
      return new CommandLine("help", Map.of());
    }
    if (!args[0].equals("run")) {
      throw new IllegalArgumentException("unknown command '" + args[0] + "'");
    }
    Map<String, Object> overrides = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String flag = args[i];
      String value;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("missing value after " + flag);
      }
      switch (flag) {
        case "--port" -> overrides.put("troupe.http.port", port(flag, value));
        case "--host" -> overrides.put("troupe.http.host", value);
        case "--data-dir" -> overrides.put("troupe.data-dir", value);
        case "--seeds" -> overrides.put("troupe.cluster.seeds", value);
        case "--cluster-port" -> overrides.put("pekko.remote.artery.canonical.port", port(flag, value));
        default -> throw new IllegalArgumentException("unknown option '" + flag + "'");
      }
    }
    return new CommandLine("run", overrides);
  }

  private static int port(String flag, String value) {
    try {
      int port = Integer.parseInt(value);
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a port number (0-65535), not '" + value + "'");
    }
  }
}
