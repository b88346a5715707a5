package io.troupe.llm.http;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;

/**
 * The Pekko HTTP client of one provider: a bounded connection pool per host (Pekko keeps one pool
 * per host and settings, shared by every request to that host), never a thread per request.
 * The pool does not retry: retries belong to the gateway's resilience layer.
 */
public final class ProviderHttpClient {
  private final Http http;
  private final ConnectionPoolSettings pool;
  private final Materializer materializer;
  private final LoggingAdapter log;
  private final HttpSettings settings;
  private final Executor callbacks;

  private ProviderHttpClient(ActorSystem<?> system, HttpSettings settings) {
    this.http = Http.get(system);
    this.callbacks = system.executionContext();
    this.settings = settings;
    this.materializer = Materializer.matFromSystem(system);
    this.log = system.classicSystem().log();
    ClientConnectionSettings connection = ClientConnectionSettings.create(system.classicSystem())
        .withConnectingTimeout(settings.connectingTimeout())
        .withIdleTimeout(settings.idleTimeout());
    this.pool = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxConnections(settings.maxConnections())
        .withMaxOpenRequests(settings.maxOpenRequests())
        .withMaxRetries(0)
        .withBaseConnectionBackoff(settings.baseConnectionBackoff())
        .withMaxConnectionBackoff(settings.maxConnectionBackoff())
        .withConnectionSettings(connection);
  }

  public static ProviderHttpClient create(ActorSystem<?> system, HttpSettings settings) {
    return new ProviderHttpClient(system, settings);
  }

  /** Sends through the host's pool; completes when the response head has arrived. */
  public CompletionStage<HttpResponse> send(HttpRequest request) {
    return http.singleRequest(request, http.defaultClientHttpsContext(), pool, log);
  }

  /**
   * Where callbacks on this client's futures run: the actor system's dispatcher. Stages from
   * Pekko's Java API would otherwise run plain callbacks on the JDK's common pool, which on a
   * machine of two cores starts a thread per callback.
   */
  public Executor callbacks() {
    return callbacks;
  }

  public Materializer materializer() {
    return materializer;
  }

  public HttpSettings settings() {
    return settings;
  }
}
