package io.troupe.llm.http;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.LlmProvider;
import io.troupe.llm.resilience.RateLimitReporting;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * What every HTTP model provider shares: one POST per turn, strict or streamed with SSE, errors
 * mapped and redacted, rate-limit headers reported. A provider adds its wire format. Cancelling
 * the returned future aborts the HTTP request.
 */
public abstract class HttpChatProvider implements LlmProvider, RateLimitReporting {
  private final ProviderConfig common;
  private final String chatUrl;
  private final String modelsUrl;
  private final List<HttpHeader> headers;
  private final ProviderErrors errors;
  private final HttpExchange exchange;
  private final List<Consumer<RateLimitInfo>> rateLimitListeners = new CopyOnWriteArrayList<>();

  protected HttpChatProvider(
      ProviderConfig common, String chatUrl, String modelsUrl, List<HttpHeader> headers, ProviderHttpClient client) {
    this.common = common;
    this.chatUrl = chatUrl;
    this.modelsUrl = modelsUrl;
    this.headers = List.copyOf(headers);
    this.errors = new ProviderErrors(common.name(), new Redactor(common.apiKey()));
    this.exchange = new HttpExchange(client, errors);
  }

  /** The provider's JSON request body for one turn. */
  protected abstract Object requestBody(ChatRequest request, String model) throws Exception;

  /** A whole (non-streamed) response body as a turn. */
  protected abstract ChatResponse parseResponse(String body, String model) throws Exception;

  /**
   * A turn of a request with an output schema, as the loop wants it: the structured answer as the
   * message's text. OpenAI already answers so; a provider that carries it otherwise (Anthropic, in a
   * forced tool call) overrides this.
   */
  protected ChatResponse structured(ChatRequest request, ChatResponse response) {
    return response;
  }

  /** Reads one streamed turn, passing fragments to {@code deltas}. */
  protected abstract StreamHandler<ChatResponse> streamHandler(String model, Consumer<ChatDelta> deltas, ProviderErrors errors);

  @Override
  public String name() {
    return common.name();
  }

  /** With {@code verify-on-start}, one {@code GET /models}: a rejected key or a wrong URL fails the init. */
  @Override
  public CompletionStage<Void> init() {
    if (!common.verifyOnStart()) {
      return CompletableFuture.completedFuture(null);
    }
    return exchange.strict(HttpRequest.GET(modelsUrl).withHeaders(headers), text -> (Void) null, this::reportRateLimit);
  }

  @Override
  public void onRateLimits(Consumer<RateLimitInfo> listener) {
    rateLimitListeners.add(listener);
  }

  @Override
  public CompletionStage<ChatResponse> chat(ChatRequest asked, Consumer<ChatDelta> onDelta) {
    // A structured answer is read whole: it is validated as one JSON value, so it is never streamed.
    ChatRequest request = asked.output() != null && asked.stream() ? asked.with(asked.model(), false) : asked;
    String model = request.model() == null || request.model().isBlank() ? common.model() : request.model();
    byte[] body;
    try {
      body = Json.MAPPER.writeValueAsBytes(requestBody(request, model));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(errors.forThrowable(e, false));
    }
    HttpRequest http = HttpRequest.POST(chatUrl).withHeaders(headers).withEntity(ContentTypes.APPLICATION_JSON, body);
    if (request.traceparent() != null) {
      // The model call's span, so that a provider (or a proxy) that traces joins the intent's trace.
      http = http.addHeader(RawHeader.create("traceparent", request.traceparent()));
    }
    Consumer<ChatDelta> deltas = onDelta == null ? d -> {} : onDelta;
    if (request.stream()) {
      return exchange.stream(http, streamHandler(model, deltas, errors), this::reportRateLimit);
    }
    if (request.output() != null) {
      return exchange.strict(http, text -> structured(request, parseResponse(text, model)), this::reportRateLimit);
    }
    return exchange.strict(http, text -> parseResponse(text, model), this::reportRateLimit);
  }

  private void reportRateLimit(RateLimitInfo info) {
    for (Consumer<RateLimitInfo> listener : rateLimitListeners) {
      listener.accept(info);
    }
  }
}
