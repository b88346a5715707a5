package io.troupe.tools.fetch;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/** Settings of http_fetch ({@code troupe.tools.http-fetch}). */
public record HttpFetchSettings(
    boolean enabled,
    List<String> allowHosts,
    List<String> allowCidrs,
    int maxRedirects,
    long maxBytes,
    Duration timeout,
    Duration connectTimeout,
    String userAgent) {

  public static HttpFetchSettings fromConfig(Config tools) {
    Config c = tools.getConfig("http-fetch");
    return new HttpFetchSettings(
        c.getBoolean("enabled"),
        List.copyOf(c.getStringList("allow-hosts")),
        List.copyOf(c.getStringList("allow-cidrs")),
        c.getInt("max-redirects"),
        c.getBytes("max-bytes"),
        c.getDuration("timeout"),
        c.getDuration("connect-timeout"),
        c.getString("user-agent"));
  }
}
