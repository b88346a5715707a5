package io.troupe.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The fake server's admin endpoints, called by the drivers' main threads. */
final class FakeAdmin {
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String url;

  FakeAdmin(String url) {
    this.url = url;
  }

  /** Sets the script and resets the counts. */
  void configure(double failRate, int latencyMs) throws Exception {
    send(HttpRequest.newBuilder(URI.create(url + "/admin/config?failRate=" + failRate + "&latencyMs=" + latencyMs))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  JsonNode stats() {
    try {
      return Json.MAPPER.readTree(send(HttpRequest.newBuilder(URI.create(url + "/admin/stats"))
          .timeout(Duration.ofSeconds(10)).GET().build()));
    } catch (Exception e) {
      return Json.object().put("error", String.valueOf(e.getMessage()));
    }
  }

  private String send(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofString()).body(); // blocking-ok: a driver's main thread
  }
}
