package io.troupe.llm.resilience;

import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.Usage;
import io.troupe.llm.http.RateLimitInfo;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/** A provider the test drives by hand: it records every call and completes nothing by itself. */
final class ScriptedProvider implements LlmProvider, RateLimitReporting {
  /** One call the provider received. */
  record Received(ChatRequest request, CompletableFuture<ChatResponse> future, Consumer<ChatDelta> onDelta) {
    void answer(String text) {
      future.complete(response(text, "scripted", "fake"));
    }

    void fail(Throwable error) {
      future.completeExceptionally(error);
    }
  }

  final String name;
  final TestProbe<Received> calls;
  final List<Received> received = new CopyOnWriteArrayList<>();
  volatile Consumer<RateLimitInfo> rateLimitListener;

  ScriptedProvider(String name, TestProbe<Received> calls) {
    this.name = name;
    this.calls = calls;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
    Received r = new Received(request, new CompletableFuture<>(), onDelta);
    received.add(r);
    calls.ref().tell(r);
    return r.future();
  }

  @Override
  public void onRateLimits(Consumer<RateLimitInfo> listener) {
    this.rateLimitListener = listener;
  }

  static ChatResponse response(String text, String model, String provider) {
    return new ChatResponse(ChatMessage.assistant(text), new Usage(1000, 500), FinishReason.STOP, model, provider);
  }
}
