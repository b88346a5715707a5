package io.troupe.bench.ingress;

import com.typesafe.config.ConfigFactory;
import io.troupe.bench.Args;
import io.troupe.bench.Log;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The ceiling of the ingress benchmark: a bare Pekko HTTP endpoint that reads the POST body and
 * answers a constant JSON, on the same engine and settings Troupe's ingress runs on.
 */
public final class BareHttpServer extends AllDirectives {
  private static final String ANSWER =
      "{\"id\":\"s-1.1\",\"sessionId\":\"s-1\",\"status\":\"succeeded\",\"outcome\":{\"answer\":\"17% of 2,340 is 397.8.\"}}";

  public static void main(Args args) throws Exception {
    int port = args.integer("port", 8090);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bare-http",
        ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.http.server.max-connections = 4096")
            .withFallback(ConfigFactory.defaultReference()));
    Route route = new BareHttpServer().routes();
    Http.get(system).newServerAt("127.0.0.1", port).bind(route).toCompletableFuture().get(); // blocking-ok: main thread
    Log.info("bare Pekko HTTP on http://127.0.0.1:%d", port);
    new CountDownLatch(1).await(); // blocking-ok: the main thread serves until the process is killed
  }

  private Route routes() {
    return path(PathMatchers.segment("v1").slash("intents"), () -> post(() ->
        extractStrictEntity(java.time.Duration.ofSeconds(5), entity ->
            complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, ANSWER))))));
  }
}
