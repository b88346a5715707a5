package io.troupe.llm.anthropic;

import com.typesafe.config.Config;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.ChatRequest;
import io.troupe.llm.http.HttpChatProvider;
import io.troupe.llm.http.ProviderErrors;
import io.troupe.llm.http.StreamHandler;
import io.troupe.llm.http.ProviderHttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The {@code anthropic} provider: the Messages API ({@code POST <base-url>/v1/messages}). Streams
 * with SSE when the request asks. Cancelling the returned future aborts the HTTP request.
 */
public final class AnthropicProvider extends HttpChatProvider {
  public static final String TYPE = "anthropic";

  private final AnthropicSettings settings;

  /** From a config section such as {@code troupe.llm.anthropic}, with its {@code http} block. */
  public static AnthropicProvider create(ActorSystem<?> system, String name, String path, Config section) {
    AnthropicSettings settings = AnthropicSettings.fromConfig(name, path, section);
    settings.common().requireApiKey("ANTHROPIC_API_KEY");
    return new AnthropicProvider(settings, ProviderHttpClient.create(system, settings.common().http()));
  }

  public AnthropicProvider(AnthropicSettings settings, ProviderHttpClient client) {
    super(settings.common(), apiUrl(settings) + "/messages", apiUrl(settings) + "/models", headers(settings), client);
    this.settings = settings;
  }

  /** The base URL up to and including {@code /v1}. */
  private static String apiUrl(AnthropicSettings settings) {
    String base = settings.common().baseUrl();
    return base.endsWith("/v1") ? base : base + "/v1";
  }

  private static List<HttpHeader> headers(AnthropicSettings settings) {
    List<HttpHeader> h = new ArrayList<>();
    h.add(RawHeader.create("x-api-key", settings.common().apiKey()));
    h.add(RawHeader.create("anthropic-version", settings.version()));
    settings.common().headers().forEach((k, v) -> h.add(RawHeader.create(k, v)));
    return h;
  }

  @Override
  protected Object requestBody(ChatRequest request, String model) throws Exception {
    return AnthropicWire.requestBody(request, model, settings);
  }

  @Override
  protected ChatResponse parseResponse(String body, String model) throws Exception {
    return AnthropicWire.parseResponse(body, name(), model);
  }

  @Override
  protected ChatResponse structured(ChatRequest request, ChatResponse response) {
    return AnthropicWire.structured(response);
  }

  @Override
  protected StreamHandler<ChatResponse> streamHandler(String model, Consumer<ChatDelta> deltas, ProviderErrors errors) {
    return new AnthropicStream(name(), model, deltas, errors);
  }

  public AnthropicSettings settings() {
    return settings;
  }
}
