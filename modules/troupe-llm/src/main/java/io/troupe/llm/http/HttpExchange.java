package io.troupe.llm.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * One HTTP exchange with a provider: send, map a non-2xx status to a typed failure, read the body
 * whole or as SSE. Nothing blocks.
 *
 * <p><b>Cancellation:</b> cancelling the returned future aborts the response body stream through
 * a kill switch, which makes the pool close that connection (a half-read response cannot be
 * reused), so the provider stops generating and the slot is free again. If the response head has
 * not arrived yet, its body is discarded the moment it does. No result is delivered after a cancel.
 */
public final class HttpExchange {
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final ProviderHttpClient client;
  private final ProviderErrors errors;

  public HttpExchange(ProviderHttpClient client, ProviderErrors errors) {
    this.client = client;
    this.errors = errors;
  }

  /** Reads a 2xx body whole (up to max-response-size) and parses it. */
  public <T> CompletableFuture<T> strict(HttpRequest request, Function<String, T> parse, Consumer<RateLimitInfo> rateLimits) {
    int max = client.settings().maxResponseBytes();
    return exchange(request, rateLimits, (response, kill, result) -> {
      CompletionStage<String> body = readBody(response, max, kill, result);
      body.whenCompleteAsync((text, error) -> {
        if (error != null) {
          result.completeExceptionally(errors.forThrowable(error, false));
          return;
        }
        try {
          result.complete(parse.apply(text));
        } catch (Throwable e) {
          result.completeExceptionally(errors.forThrowable(e, false));
        }
      }, client.callbacks());
    });
  }

  /** Reads a 2xx body as Server-Sent Events, passing each to the handler as it arrives. */
  public <T> CompletableFuture<T> stream(HttpRequest request, StreamHandler<T> handler, Consumer<RateLimitInfo> rateLimits) {
    int maxEvent = client.settings().maxResponseBytes();
    return exchange(request, rateLimits, (response, kill, result) -> {
      Pair<UniqueKillSwitch, CompletionStage<Done>> running = response.entity().getDataBytes()
          .viaMat(KillSwitches.single(), Keep.right())
          .via(SseParser.flow(maxEvent))
          .toMat(Sink.foreach(handler::onEvent), Keep.both())
          .run(client.materializer());
      armKillSwitch(running.first(), kill, result);
      running.second().whenCompleteAsync((done, error) -> {
        if (error != null) {
          result.completeExceptionally(errors.forThrowable(error, handler.contentDelivered()));
          return;
        }
        try {
          result.complete(handler.complete());
        } catch (Throwable e) {
          result.completeExceptionally(errors.forThrowable(e, handler.contentDelivered()));
        }
      }, client.callbacks());
    });
  }

  private interface BodyReader<T> {
    void read(HttpResponse response, AtomicReference<UniqueKillSwitch> kill, CompletableFuture<T> result);
  }

  private <T> CompletableFuture<T> exchange(HttpRequest request, Consumer<RateLimitInfo> rateLimits, BodyReader<T> reader) {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<UniqueKillSwitch> kill = new AtomicReference<>();
    result.whenComplete((value, error) -> {
      UniqueKillSwitch k = kill.get();
      if (result.isCancelled() && k != null) {
        k.abort(new CancellationException("the call was cancelled"));
      }
    });
    CompletionStage<HttpResponse> sent;
    try {
      sent = client.send(request);
    } catch (RuntimeException e) {
      result.completeExceptionally(errors.forThrowable(e, false));
      return result;
    }
    sent.whenCompleteAsync((response, error) -> {
      if (error != null) {
        result.completeExceptionally(errors.forThrowable(error, false));
        return;
      }
      if (result.isDone()) { // cancelled while waiting for the head
        response.discardEntityBytes(client.materializer());
        return;
      }
      RateLimitInfo limits = RateLimitInfo.from(response.getHeaders());
      if (rateLimits != null && !limits.isEmpty()) {
        try {
          rateLimits.accept(limits);
        } catch (RuntimeException ignored) {
          // a listener's failure is not the call's
        }
      }
      int status = response.status().intValue();
      if (status < 200 || status >= 300) {
        readBody(response, MAX_ERROR_BODY, kill, result).whenCompleteAsync((body, readError) ->
            result.completeExceptionally(errors.forStatus(status, body == null ? "" : body, limits)), client.callbacks());
        return;
      }
      reader.read(response, kill, result);
    }, client.callbacks());
    return result;
  }

  private CompletionStage<String> readBody(
      HttpResponse response, int max, AtomicReference<UniqueKillSwitch> kill, CompletableFuture<?> result) {
    Source<ByteString, ?> bytes = response.entity().getDataBytes();
    Pair<UniqueKillSwitch, CompletionStage<ByteString>> running = bytes
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.fold(ByteString.emptyByteString(), (acc, chunk) -> {
          if (acc.size() + chunk.size() > max) {
            throw new IllegalStateException("the response body exceeds " + max + " bytes");
          }
          return acc.concat(chunk);
        }), Keep.both())
        .run(client.materializer());
    armKillSwitch(running.first(), kill, result);
    return running.second().thenApplyAsync(b -> b.decodeString(StandardCharsets.UTF_8), client.callbacks());
  }

  /** Publishes the switch; if the call was cancelled meanwhile, pulls it now. */
  private static void armKillSwitch(UniqueKillSwitch k, AtomicReference<UniqueKillSwitch> kill, CompletableFuture<?> result) {
    kill.set(k);
    if (result.isCancelled()) {
      k.abort(new CancellationException("the call was cancelled"));
    }
  }
}
