package io.troupe.llm.openai;

import com.typesafe.config.Config;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmProvider;
import io.troupe.llm.http.HttpExchange;
import io.troupe.llm.http.ProviderErrors;
import io.troupe.llm.http.ProviderHttpClient;
import io.troupe.llm.http.RateLimitInfo;
import io.troupe.llm.http.Redactor;
import io.troupe.llm.resilience.RateLimitReporting;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The {@code openai} provider: the Chat Completions API ({@code POST <base-url>/chat/completions}),
 * which OpenAI and every OpenAI-compatible server speak (Ollama, vLLM, LM Studio, OpenRouter).
 * Streams with SSE when the request asks. Cancelling the returned future aborts the HTTP request.
 */
public final class OpenAiProvider implements LlmProvider, RateLimitReporting {
  public static final String TYPE = "openai";

  private final OpenAiSettings settings;
  private final String url;
  private final List<HttpHeader> headers;
  private final ProviderErrors errors;
  private final HttpExchange exchange;
  private final List<Consumer<RateLimitInfo>> rateLimitListeners = new CopyOnWriteArrayList<>();

  /** From a config section such as {@code troupe.llm.openai}, with its {@code http} block. */
  public static OpenAiProvider create(ActorSystem<?> system, String name, String path, Config section) {
    OpenAiSettings settings = OpenAiSettings.fromConfig(name, path, section);
    if (settings.requireApiKey()) {
      settings.common().requireApiKey("OPENAI_API_KEY");
    }
    return new OpenAiProvider(settings, ProviderHttpClient.create(system, settings.common().http()));
  }

  public OpenAiProvider(OpenAiSettings settings, ProviderHttpClient client) {
    this.settings = settings;
    this.url = settings.common().baseUrl() + "/chat/completions";
    List<HttpHeader> h = new ArrayList<>();
    if (!settings.common().apiKey().isEmpty()) {
      h.add(Authorization.oauth2(settings.common().apiKey()));
    }
    settings.common().headers().forEach((k, v) -> h.add(RawHeader.create(k, v)));
    this.headers = List.copyOf(h);
    this.errors = new ProviderErrors(settings.common().name(), new Redactor(settings.common().apiKey()));
    this.exchange = new HttpExchange(client, errors);
  }

  @Override
  public String name() {
    return settings.common().name();
  }

  /** With {@code verify-on-start}, one {@code GET /models}: a rejected key or a wrong URL fails the init. */
  @Override
  public CompletionStage<Void> init() {
    if (!settings.common().verifyOnStart()) {
      return CompletableFuture.completedFuture(null);
    }
    HttpRequest list = HttpRequest.GET(settings.common().baseUrl() + "/models").withHeaders(headers);
    return exchange.strict(list, text -> (Void) null, this::reportRateLimit);
  }

  @Override
  public void onRateLimits(Consumer<RateLimitInfo> listener) {
    rateLimitListeners.add(listener);
  }

  @Override
  public CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
    String model = request.model() == null || request.model().isBlank() ? settings.common().model() : request.model();
    byte[] body;
    try {
      body = Json.MAPPER.writeValueAsBytes(OpenAiWire.requestBody(request, model, settings));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(errors.forThrowable(e, false));
    }
    HttpRequest http = HttpRequest.POST(url).withHeaders(headers).withEntity(ContentTypes.APPLICATION_JSON, body);
    Consumer<ChatDelta> deltas = onDelta == null ? d -> {} : onDelta;
    if (request.stream()) {
      return exchange.stream(http, new OpenAiStream(name(), model, deltas, errors), this::reportRateLimit);
    }
    return exchange.strict(http, text -> OpenAiWire.parseResponse(text, name(), model), this::reportRateLimit);
  }

  private void reportRateLimit(RateLimitInfo info) {
    for (Consumer<RateLimitInfo> l : rateLimitListeners) {
      l.accept(info);
    }
  }

  public OpenAiSettings settings() {
    return settings;
  }
}
