package io.troupe.llm.openai;

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
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The {@code openai} provider: the Chat Completions API ({@code POST <base-url>/chat/completions}),
 * which OpenAI and every OpenAI-compatible server speak (Ollama, vLLM, LM Studio, OpenRouter).
 * Streams with SSE when the request asks. Cancelling the returned future aborts the HTTP request.
 */
public final class OpenAiProvider extends HttpChatProvider {
  public static final String TYPE = "openai";

  private final OpenAiSettings settings;

  /** From a config section such as {@code troupe.llm.openai}, with its {@code http} block. */
  public static OpenAiProvider create(ActorSystem<?> system, String name, String path, Config section) {
    OpenAiSettings settings = OpenAiSettings.fromConfig(name, path, section);
    if (settings.requireApiKey()) {
      settings.common().requireApiKey("OPENAI_API_KEY");
    }
    return new OpenAiProvider(settings, ProviderHttpClient.create(system, settings.common().http()));
  }

  public OpenAiProvider(OpenAiSettings settings, ProviderHttpClient client) {
    super(settings.common(), settings.common().baseUrl() + "/chat/completions", settings.common().baseUrl() + "/models",
        headers(settings), client);
    this.settings = settings;
  }

  private static List<HttpHeader> headers(OpenAiSettings settings) {
    List<HttpHeader> h = new ArrayList<>();
    if (!settings.common().apiKey().isEmpty()) {
      h.add(Authorization.oauth2(settings.common().apiKey()));
    }
    settings.common().headers().forEach((k, v) -> h.add(RawHeader.create(k, v)));
    return h;
  }

  @Override
  protected Object requestBody(ChatRequest request, String model) throws Exception {
    return OpenAiWire.requestBody(request, model, settings);
  }

  @Override
  protected ChatResponse parseResponse(String body, String model) throws Exception {
    return OpenAiWire.parseResponse(body, name(), model);
  }

  @Override
  protected StreamHandler<ChatResponse> streamHandler(String model, Consumer<ChatDelta> deltas, ProviderErrors errors) {
    return new OpenAiStream(name(), model, deltas, errors);
  }

  public OpenAiSettings settings() {
    return settings;
  }
}
