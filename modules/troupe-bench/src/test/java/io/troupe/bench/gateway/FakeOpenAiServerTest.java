package io.troupe.bench.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A smoke test of the benchmark's fake server: its script, its latency and its faults. */
class FakeOpenAiServerTest {

  @Test
  void scriptsToolCallsThenTextAfterItsLatencyAndFailsOnDemand() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(50, 0)) {
      HttpClient client = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";
      String first = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[]}";
      long t0 = System.nanoTime();
      HttpResponse<String> r1 = post(client, url, first);
      assertTrue((System.nanoTime() - t0) / 1_000_000 >= 50, "answers after its latency");
      assertEquals(200, r1.statusCode());
      assertTrue(r1.body().contains("\"name\":\"calculator\"") && r1.body().contains("\"name\":\"current_time\""));

      String second = "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"4\"}],\"tools\":[]}";
      HttpResponse<String> r2 = post(client, url, second);
      assertTrue(r2.body().contains("\"finish_reason\":\"stop\""));

      server.configure(1.0, 0);
      int status = post(client, url, first).statusCode();
      assertTrue(status == 429 || status == 500, "a fault: " + status);
      assertTrue(server.statsJson().contains("\"requests\":1"));
    }
  }

  private static HttpResponse<String> post(HttpClient client, String url, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
