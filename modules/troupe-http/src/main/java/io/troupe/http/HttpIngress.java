package io.troupe.http;

import io.troupe.core.runtime.TroupeRuntime;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP ingress: binds the routes, logs where it listens, and unbinds when it stops. A failed
 * bind stops it and fails {@code boundTo}, so that the node can exit with the reason.
 */
public final class HttpIngress {

  public sealed interface Command permits Bound, BindFailed {}

  private record Bound(ServerBinding binding) implements Command {}

  private record BindFailed(Throwable cause) implements Command {}

  private HttpIngress() {}

  /** The node's ingress, with settings from {@code troupe.http}. */
  public static Behavior<Command> create(TroupeRuntime runtime, CompletableFuture<InetSocketAddress> boundTo) {
    return Behaviors.setup(ctx -> {
      HttpSettings settings = HttpSettings.fromConfig(ctx.getSystem().settings().config().getConfig("troupe.http"));
      return create(Backends.of(runtime), settings, boundTo);
    });
  }

  /** @param boundTo completed with the bound address, or failed with the bind error; may be null */
  public static Behavior<Command> create(
      Backends backends, HttpSettings settings, CompletableFuture<InetSocketAddress> boundTo) {
    return Behaviors.setup(ctx -> {
      Route routes = TroupeRoutes.create(backends, settings, ctx.getSystem());
      ctx.pipeToSelf(
          Http.get(ctx.getSystem()).newServerAt(settings.host(), settings.port()).bind(routes),
          (binding, failure) -> failure == null ? new Bound(binding) : new BindFailed(failure));
      return binding(settings, boundTo);
    });
  }

  private static Behavior<Command> binding(HttpSettings settings, CompletableFuture<InetSocketAddress> boundTo) {
    return Behaviors.receive(Command.class)
        .onMessage(Bound.class, msg -> Behaviors.setup(ctx -> onBound(ctx, msg.binding(), boundTo)))
        .onMessage(BindFailed.class, msg -> {
          String reason = msg.cause().getMessage();
          if (boundTo != null) {
            boundTo.completeExceptionally(msg.cause());
          }
          return Behaviors.setup(ctx -> {
            ctx.getLog().error("Troupe could not listen on http://{}:{}: {}", settings.host(), settings.port(), reason);
            return Behaviors.stopped();
          });
        })
        .build();
  }

  private static Behavior<Command> onBound(
      ActorContext<Command> ctx, ServerBinding binding, CompletableFuture<InetSocketAddress> boundTo) {
    InetSocketAddress address = binding.localAddress();
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), ctx.getSystem());
    ctx.getLog().info("Troupe listening on http://{}:{}", address.getHostString(), address.getPort());
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
