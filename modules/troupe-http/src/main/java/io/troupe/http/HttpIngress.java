package io.troupe.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.runtime.TroupeRuntime;
import io.troupe.core.session.IntentAdmission;
import io.troupe.http.security.HttpsContexts;
import io.troupe.http.security.SecuritySettings;
import io.troupe.http.support.JsonParsingErrorHandler;
import io.troupe.http.support.RequestHeaderTimeout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * The HTTP ingress: binds the routes, logs where it listens, and unbinds when it stops. A failed
 * bind, or a security configuration it refuses (see {@link SecuritySettings}), stops it and fails
 * {@code boundTo}, so that the node can exit with the reason.
 */
public final class HttpIngress {

  public sealed interface Command permits Bound, BindFailed {}

  private record Bound(ServerBinding binding) implements Command {}

  private record BindFailed(Throwable cause) implements Command {}

  private HttpIngress() {}

  /** The node's ingress, with settings from {@code troupe.http}. */
  public static Behavior<Command> create(TroupeRuntime runtime, CompletableFuture<InetSocketAddress> boundTo) {
    return Behaviors.setup(ctx -> {
      Config http = ctx.getSystem().settings().config().getConfig("troupe.http");
      HttpSettings settings = HttpSettings.fromConfig(http);
      SecuritySettings security;
      try {
        security = SecuritySettings.fromConfig(http);
      } catch (IllegalArgumentException e) {
        return refuse(ctx, boundTo, e);
      }
      IntentAdmission admission = IntentAdmission.get(ctx.getSystem());
      return create(Backends.of(runtime), settings, security, admission::inFlight, boundTo);
    });
  }

  /** Open (no auth, no limits, plain HTTP), as in the route tests. */
  public static Behavior<Command> create(
      Backends backends, HttpSettings settings, CompletableFuture<InetSocketAddress> boundTo) {
    return create(backends, settings, SecuritySettings.open(), () -> 0, boundTo);
  }

  /**
   * @param intentsInFlight the intents this node holds now, for load shedding
   * @param boundTo completed with the bound address, or failed with the bind error; may be null
   */
  public static Behavior<Command> create(
      Backends backends,
      HttpSettings settings,
      SecuritySettings security,
      LongSupplier intentsInFlight,
      CompletableFuture<InetSocketAddress> boundTo) {
    return Behaviors.setup(ctx -> {
      Config config = ctx.getSystem().settings().config();
      ServerBuilder server = Http.get(ctx.getSystem())
          .newServerAt(settings.host(), settings.port())
          .withSettings(serverSettings(config));
      if (security.tls().enabled()) {
        try {
          server = server.enableHttps(HttpsContexts.server(security.tls()));
        } catch (IllegalArgumentException e) {
          return refuse(ctx, boundTo, e);
        }
      }
      security.warnings().forEach(warning -> ctx.getLog().warn(warning));
      if (security.authEnabled()) {
        ctx.getLog().info("Ingress auth is on: {}", security.apiKeys());
      }
      Route routes = TroupeRoutes.create(backends, settings, security, intentsInFlight, ctx.getSystem());
      // One flow per connection: the routes behind the request-header timeout.
      Duration headerTimeout = config.getDuration("troupe.http.server.request-header-timeout");
      Duration keepAlive = config.getDuration("troupe.http.server.keep-alive-timeout");
      CompletionStage<ServerBinding> binding =
          server.bindFlow(RequestHeaderTimeout.around(routes.flow(ctx.getSystem()), headerTimeout, keepAlive));
      ctx.pipeToSelf(binding, (bound, failure) -> failure == null ? new Bound(bound) : new BindFailed(failure));
      return binding(ctx, settings, security.tls().enabled() ? "https" : "http", boundTo, binding);
    });
  }

  private static Behavior<Command> refuse(
      ActorContext<Command> ctx, CompletableFuture<InetSocketAddress> boundTo, IllegalArgumentException why) {
    ctx.getLog().error("Troupe will not start its HTTP ingress: {}", why.getMessage());
    if (boundTo != null) {
      boundTo.completeExceptionally(why);
    }
    return Behaviors.stopped();
  }

  /**
   * Pekko's server settings with the ingress's own on top: the connection limit and listen backlog,
   * timeouts, body cap and request-head limits from {@code troupe.http.server}, the JSON
   * parsing-error handler, no Server banner, and no warning that would quote a malformed
   * Authorization header.
   */
  static ServerSettings serverSettings(Config config) {
    Config server = config.getConfig("troupe.http.server");
    Map<String, Object> ours = new java.util.HashMap<>(Map.of(
        "pekko.http.server.max-connections", server.getInt("max-connections"),
        "pekko.http.server.request-timeout", server.getString("request-timeout"),
        "pekko.http.server.idle-timeout", server.getString("idle-timeout"),
        "pekko.http.server.parsing.max-content-length", server.getString("max-content-length"),
        "pekko.http.server.parsing.max-uri-length", server.getString("max-uri-length"),
        "pekko.http.server.parsing.max-header-count", server.getString("max-header-count"),
        "pekko.http.server.parsing.max-header-name-length", server.getString("max-header-name-length"),
        "pekko.http.server.parsing.max-header-value-length", server.getString("max-header-value-length"),
        "pekko.http.server.parsing.error-handler", JsonParsingErrorHandler.class.getName()));
    ours.putAll(Map.of(
        "pekko.http.server.parsing.ignore-illegal-header-for", List.of("authorization", "proxy-authorization"),
        "pekko.http.server.server-header", "",
        "pekko.http.server.backlog", server.getInt("backlog")));
    return ServerSettings.create(ConfigFactory.parseMap(ours).withFallback(config));
  }

  private static Behavior<Command> binding(
      ActorContext<Command> ctx,
      HttpSettings settings,
      String scheme,
      CompletableFuture<InetSocketAddress> boundTo,
      CompletionStage<ServerBinding> pending) {
    return Behaviors.receive(Command.class)
        .onMessage(Bound.class, msg -> onBound(ctx, scheme, msg.binding(), boundTo))
        .onMessage(BindFailed.class, msg -> {
          ctx.getLog().error("Troupe could not listen on {}://{}:{}: {}",
              scheme, settings.host(), settings.port(), msg.cause().getMessage());
          if (boundTo != null) {
            boundTo.completeExceptionally(msg.cause());
          }
          return Behaviors.stopped();
        })
        .onSignal(PostStop.class, signal -> {
          // Stopped before the bind finished: release the port once it does.
          pending.thenAccept(ServerBinding::unbind);
          return Behaviors.same();
        })
        .build();
  }

  private static Behavior<Command> onBound(
      ActorContext<Command> ctx, String scheme, ServerBinding binding, CompletableFuture<InetSocketAddress> boundTo) {
    InetSocketAddress address = binding.localAddress();
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), ctx.getSystem());
    ctx.getLog().info("Troupe listening on {}://{}:{}", scheme, address.getHostString(), address.getPort());
    if (boundTo != null) {
      boundTo.complete(address);
    }
    return Behaviors.receive(Command.class)
        .onSignal(PostStop.class, signal -> {
          binding.unbind();
          return Behaviors.same();
        })
        .build();
  }
}
