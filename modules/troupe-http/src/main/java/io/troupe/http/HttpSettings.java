package io.troupe.http;

import com.typesafe.config.Config;
import io.troupe.http.support.IngressLimits;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Settings of the ingress, from {@code troupe.http}.
 *
 * @param apiKeys the raw entries of {@code api-keys} (see {@link io.troupe.http.security.ApiKeys}); never logged
 * @param limits bounds on text, metadata and the JSON parser
 */
public record HttpSettings(
    String host,
    int port,
    long maxBodyBytes,
    long maxDocumentBodyBytes,
    Duration askTimeout,
    Duration waitDefaultTimeout,
    Duration waitMaxTimeout,
    int batchMaxSize,
    Duration batchDefaultTimeout,
    Duration sseKeepAlive,
    int sseBufferSize,
    int documentsMaxCount,
    int documentsDefaultK,
    int documentsMaxK,
    int retryAfterSeconds,
    List<String> apiKeys,
    IngressLimits limits) {

  public static HttpSettings fromConfig(Config http) {
    return new HttpSettings(
        http.getString("host"),
        http.getInt("port"),
        http.getBytes("max-body-bytes"),
        http.getBytes("max-document-body-bytes"),
        http.getDuration("ask-timeout"),
        http.getDuration("wait-default-timeout"),
        http.getDuration("wait-max-timeout"),
        http.getInt("batch.max-size"),
        http.getDuration("batch.default-timeout"),
        http.getDuration("sse.keep-alive"),
        http.getInt("sse.buffer-size"),
        http.getInt("documents.max-count"),
        http.getInt("documents.default-k"),
        http.getInt("documents.max-k"),
        http.getInt("retry-after-seconds"),
        Arrays.stream(http.getString("api-keys").split(","))
            .map(String::trim)
            .filter(k -> !k.isEmpty())
            .toList(),
        IngressLimits.fromConfig(http));
  }

  /** Keys stay out of logs and toString. */
  @Override
  public String toString() {
    return "HttpSettings[host=" + host + ", port=" + port + ", apiKeys=" + apiKeys.size() + " configured]";
  }
}
