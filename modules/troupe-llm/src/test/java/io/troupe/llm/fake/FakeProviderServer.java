package io.troupe.llm.fake;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A model provider on loopback for tests, speaking the real wire formats: each request gets the
 * next scripted {@link Reply} (status, headers, JSON body or SSE chunks, a slow first byte,
 * delays between chunks, a connection reset mid-stream, a stream cut before its end, a stream that
 * hangs). It records every request and tells when a streamed body ended, also by a client abort.
 */
public final class FakeProviderServer implements AutoCloseable {

  /** One request as the fake saw it; header names are lower-case. */
  public record Recorded(String method, String path, Map<String, String> headers, String body) {
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (Exception e) {
        throw new AssertionError("the request body is not JSON: " + body, e);
      }
    }
  }

  /** How a streamed body ends. */
  public enum Ending { COMPLETE, RESET, HANG }

  /** A scripted response. */
  public static final class Reply {
    final int status;
    final String body;
    final List<String> chunks;
    final List<HttpHeader> headers = new ArrayList<>();
    ContentType contentType;
    Duration firstByteDelay = Duration.ZERO;
    Duration chunkDelay = Duration.ZERO;
    Ending ending = Ending.COMPLETE;

    private Reply(int status, String body, List<String> chunks, ContentType contentType) {
      this.status = status;
      this.body = body;
      this.chunks = chunks;
      this.contentType = contentType;
    }

    public static Reply json(int status, String body) {
      return new Reply(status, body, null, ContentTypes.APPLICATION_JSON);
    }

    public static Reply text(int status, String body) {
      return new Reply(status, body, null, ContentTypes.TEXT_PLAIN_UTF8);
    }

    /** Each string is written as its own chunk, verbatim (so a chunk may cut an event anywhere). */
    public static Reply sse(List<String> chunks) {
      return new Reply(200, null, List.copyOf(chunks), MediaTypes.TEXT_EVENT_STREAM.toContentType());
    }

    public Reply header(String name, String value) {
      headers.add(RawHeader.create(name, value));
      return this;
    }

    public Reply firstByteDelay(Duration d) {
      firstByteDelay = d;
      return this;
    }

    public Reply chunkDelay(Duration d) {
      chunkDelay = d;
      return this;
    }

    /** After the chunks (and 100 ms), the connection is dropped: a reset mid-stream. */
    public Reply thenReset() {
      ending = Ending.RESET;
      return this;
    }

    /** After the chunks, nothing more arrives and the body never ends. */
    public Reply thenHang() {
      ending = Ending.HANG;
      return this;
    }
  }

  private final ActorSystem<?> system;
  private final Materializer materializer;
  private final ServerBinding binding;
  private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<Done>> streamEnds = new CopyOnWriteArrayList<>();
  private volatile Reply fallback = Reply.json(500, "{\"error\":{\"message\":\"no scripted reply\",\"type\":\"server_error\"}}");

  private FakeProviderServer(ActorSystem<?> system) throws Exception {
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(this::handle)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public static FakeProviderServer start(ActorSystem<?> system) throws Exception {
    return new FakeProviderServer(system);
  }

  /** e.g. http://127.0.0.1:41234 */
  public String baseUrl() {
    return "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  public FakeProviderServer enqueue(Reply... replies) {
    script.addAll(List.of(replies));
    return this;
  }

  /** The reply for requests once the script is used up. */
  public FakeProviderServer always(Reply reply) {
    fallback = reply;
    return this;
  }

  public int requestCount() {
    return requests.size();
  }

  public List<Recorded> requests() {
    return List.copyOf(requests);
  }

  public Recorded lastRequest() {
    return requests.get(requests.size() - 1);
  }

  /** Completes when the n-th streamed body (0-based) ended: sent whole, failed, or cancelled by the client. */
  public CompletableFuture<Done> streamEnded(int n) {
    return streamEnds.get(n);
  }

  public int streamsStarted() {
    return streamEnds.size();
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request) {
    return request.entity().toStrict(5_000, materializer).thenCompose(strict -> {
      Map<String, String> headers = new TreeMap<>();
      for (HttpHeader h : request.getHeaders()) {
        headers.put(h.lowercaseName(), h.value());
      }
      headers.put("content-type", strict.getContentType().toString());
      requests.add(new Recorded(request.method().value(), request.getUri().path(), headers,
          strict.getData().decodeString(StandardCharsets.UTF_8)));
      Reply reply = script.poll();
      Reply r = reply == null ? fallback : reply;
      if (r.firstByteDelay.isZero()) {
        return CompletableFuture.completedFuture(response(r));
      }
      return Patterns.after(r.firstByteDelay, system.classicSystem().scheduler(), system.executionContext(),
          () -> CompletableFuture.completedFuture(response(r)));
    });
  }

  private HttpResponse response(Reply r) {
    HttpResponse response = HttpResponse.create().withStatus(status(r.status)).addHeaders(r.headers);
    if (r.chunks == null) {
      return response.withEntity(r.contentType, r.body.getBytes(StandardCharsets.UTF_8));
    }
    Source<ByteString, ?> body = Source.from(r.chunks).map(ByteString::fromString);
    if (!r.chunkDelay.isZero()) {
      body = body.throttle(1, r.chunkDelay);
    }
    if (r.ending == Ending.RESET) {
      // a moment after the last chunk, so that the chunks before it are flushed to the client first; lazily
      // (concat pulls its second source at once, so its timer would start, and fail the body, too early)
      body = body.concatLazy(Source.lazyCompletionStage(() -> Patterns.after(Duration.ofMillis(100),
          system.classicSystem().scheduler(), system.executionContext(),
          () -> CompletableFuture.<ByteString>failedFuture(new IllegalStateException("fake connection reset")))));
    } else if (r.ending == Ending.HANG) {
      body = body.concat(Source.<ByteString>maybe());
    }
    CompletableFuture<Done> ended = new CompletableFuture<>();
    streamEnds.add(ended);
    Source<ByteString, ?> watched = body.watchTermination((mat, done) -> {
      done.whenComplete((d, e) -> ended.complete(Done.getInstance()));
      return mat;
    });
    return response.withEntity(HttpEntities.createChunked(r.contentType, watched));
  }

  /** Also codes Pekko does not know, such as Anthropic's 529. */
  private static StatusCode status(int code) {
    return StatusCodes.lookup(code).orElseGet(() -> StatusCodes.custom(code, "Overloaded", "", false, true));
  }

  @Override
  public void close() throws Exception {
    binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
