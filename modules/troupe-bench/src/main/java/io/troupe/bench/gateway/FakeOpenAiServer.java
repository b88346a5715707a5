package io.troupe.bench.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;
import scala.concurrent.ExecutionContextExecutor;

/**
 * A fake OpenAI-compatible server for the benchmarks: {@code POST /v1/chat/completions} answers
 * after a fixed latency, on the scheduler (no thread is held while it waits), with
 * <ul>
 *   <li>two parallel tool calls ({@code calculator}, {@code current_time}) when the request offers
 *       tools and holds no tool result yet;
 *   <li>a final text otherwise;
 *   <li>and, with a fail rate, a 429 ({@code Retry-After: 0}) or a 500 instead, half each.
 * </ul>
 * {@code GET /admin/stats} gives its counts; {@code POST /admin/config?failRate=&latencyMs=} changes
 * the script and resets the counts. Bodies are matched with a substring search, not parsed, so
 * that the fake costs as little CPU as possible.
 */
public final class FakeOpenAiServer implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private volatile double failRate;
  private volatile long latencyMs;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong toolCallReplies = new AtomicLong();
  private final AtomicLong textReplies = new AtomicLong();
  private final AtomicLong status429 = new AtomicLong();
  private final AtomicLong status500 = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();

  private FakeOpenAiServer(long latencyMs, double failRate, int port) throws Exception {
    this.latencyMs = latencyMs;
    this.failRate = failRate;
    Config config = ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = local",
        "pekko.loglevel = WARNING",
        "pekko.scheduler.tick-duration = 1ms",
        "pekko.http.server.max-connections = 65536",
        "pekko.http.server.backlog = 4096",
        "pekko.http.server.idle-timeout = 300s",
        "pekko.http.server.request-timeout = 120s",
        "pekko.http.server.pipelining-limit = 1"))
        .withFallback(ConfigFactory.defaultReference());
    this.system = ActorSystem.create(Behaviors.empty(), "fake-openai", config);
    Materializer mat = Materializer.matFromSystem(system);
    ExecutionContextExecutor ec = system.executionContext();
    this.binding = Http.get(system).newServerAt("127.0.0.1", port)
        .bind((org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>)
            request -> handle(request, mat, ec))
        .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS); // blocking-ok: start-up, main thread
  }

  public static FakeOpenAiServer start(long latencyMs, double failRate) throws Exception {
    return new FakeOpenAiServer(latencyMs, failRate, 0);
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  public void configure(double failRate, long latencyMs) {
    this.failRate = failRate;
    this.latencyMs = latencyMs;
    requests.set(0);
    toolCallReplies.set(0);
    textReplies.set(0);
    status429.set(0);
    status500.set(0);
    maxInFlight.set(inFlight.get());
  }

  public String statsJson() {
    return String.format(Locale.ROOT,
        "{\"requests\":%d,\"toolCallReplies\":%d,\"textReplies\":%d,\"status429\":%d,\"status500\":%d,"
            + "\"inFlight\":%d,\"maxInFlight\":%d,\"failRate\":%s,\"latencyMs\":%d}",
        requests.get(), toolCallReplies.get(), textReplies.get(), status429.get(), status500.get(),
        inFlight.get(), maxInFlight.get(), failRate, latencyMs);
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request, Materializer mat, ExecutionContextExecutor ec) {
    String path = request.getUri().path();
    if (path.endsWith("/chat/completions") && request.method() == HttpMethods.POST) {
      return request.entity().toStrict(10_000, mat).thenCompose(strict -> {
        String body = strict.getData().utf8String();
        return reply(body, ec);
      });
    }
    request.discardEntityBytes(mat);
    if (path.equals("/admin/stats")) {
      return CompletableFuture.completedFuture(json(200, statsJson()));
    }
    if (path.equals("/admin/config") && request.method() == HttpMethods.POST) {
      var q = request.getUri().query();
      configure(Double.parseDouble(q.get("failRate").orElse("0")), Long.parseLong(q.get("latencyMs").orElse("200")));
      return CompletableFuture.completedFuture(json(200, statsJson()));
    }
    return CompletableFuture.completedFuture(json(404, "{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\"}}"));
  }

  private CompletionStage<HttpResponse> reply(String body, ExecutionContextExecutor ec) {
    requests.incrementAndGet();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    HttpResponse response;
    double roll = failRate > 0 ? ThreadLocalRandom.current().nextDouble() : 1.0;
    if (roll < failRate / 2) {
      status429.incrementAndGet();
      response = json(429, "{\"error\":{\"message\":\"Rate limit reached (fake)\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")
          .addHeader(RawHeader.create("Retry-After", "0"));
    } else if (roll < failRate) {
      status500.incrementAndGet();
      response = json(500, "{\"error\":{\"message\":\"The server had an error (fake)\",\"type\":\"server_error\"}}");
    } else if (body.contains("\"tools\"") && !body.contains("\"role\":\"tool\"")) {
      toolCallReplies.incrementAndGet();
      response = json(200, toolCalls(ids.incrementAndGet()));
    } else {
      textReplies.incrementAndGet();
      response = json(200, text(ids.incrementAndGet()));
    }
    CompletableFuture<HttpResponse> out = new CompletableFuture<>();
    system.scheduler().scheduleOnce(Duration.ofMillis(latencyMs), () -> {
      inFlight.decrementAndGet();
      out.complete(response);
    }, ec);
    return out;
  }

  private static HttpResponse json(int status, String body) {
    return HttpResponse.create().withStatus(StatusCodes.get(status))
        .withEntity(ContentTypes.APPLICATION_JSON, body.getBytes(StandardCharsets.UTF_8));
  }

  static String toolCalls(long id) {
    return "{\"id\":\"chatcmpl-" + id + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"fake-model\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        + "{\"id\":\"call_" + id + "_a\",\"type\":\"function\",\"function\":{\"name\":\"calculator\",\"arguments\":\"{\\\"expression\\\":\\\"17 * 2340 / 100\\\"}\"}},"
        + "{\"id\":\"call_" + id + "_b\",\"type\":\"function\",\"function\":{\"name\":\"current_time\",\"arguments\":\"{\\\"timezone\\\":\\\"UTC\\\"}\"}}"
        + "]},\"finish_reason\":\"tool_calls\"}],"
        + "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":40,\"total_tokens\":160}}";
  }

  static String text(long id) {
    return "{\"id\":\"chatcmpl-" + id + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"fake-model\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"17% of 2,340 is 397.8, and it is now past midnight UTC.\"},"
        + "\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":180,\"completion_tokens\":20,\"total_tokens\":200}}";
  }

  @Override
  public void close() {
    binding.unbind();
    system.terminate();
  }

  /** {@code fake-server --latency-ms 200 --fail-rate 0}: prints {@code PORT <n>}, then serves until stdin closes. */
  static void main(io.troupe.bench.Args args) throws Exception {
    FakeOpenAiServer server = start(args.integer("latency-ms", 200), args.dbl("fail-rate", 0));
    System.out.println("PORT " + server.port());
    System.out.flush();
    // Serve until the parent closes our stdin (or dies).
    while (System.in.read() >= 0) {
      // ignore input
    }
    server.close();
    System.exit(0);
  }
}
