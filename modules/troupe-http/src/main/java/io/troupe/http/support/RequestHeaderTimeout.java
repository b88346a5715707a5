package io.troupe.http.support;

import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * Closes a connection that has not delivered a complete request head within {@code timeout} of
 * being opened, or within {@code keepAliveTimeout} of its last (strict) response (an idle kept-alive
 * connection: clients that pool connections reuse them for a while, and closing those too early
 * races with a request already on its way). Pekko HTTP has no such timeout of
 * its own: its request-timeout starts once a head has been parsed, and its idle-timeout must
 * outlast the longest {@code wait=true}, so without this a client that sends half a request
 * head and stalls would hold a connection (one of max-connections) for minutes.
 *
 * <p>It sits between the server's HTTP layer and the routes, one instance per connection
 * (see {@link #around}). Once a head arrives the timer stops; a route may then take as long as
 * its request-timeout allows, and a streamed response (SSE) is left to the idle-timeout.
 */
public final class RequestHeaderTimeout
    extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {

  private static final String TIMER = "request-header";

  private final Inlet<HttpRequest> fromClient = Inlet.create("RequestHeaderTimeout.fromClient");
  private final Outlet<HttpRequest> toRoutes = Outlet.create("RequestHeaderTimeout.toRoutes");
  private final Inlet<HttpResponse> fromRoutes = Inlet.create("RequestHeaderTimeout.fromRoutes");
  private final Outlet<HttpResponse> toClient = Outlet.create("RequestHeaderTimeout.toClient");
  private final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
      BidiShape.of(fromClient, toRoutes, fromRoutes, toClient);
  private final Duration timeout;
  private final Duration keepAliveTimeout;

  private RequestHeaderTimeout(Duration timeout, Duration keepAliveTimeout) {
    this.timeout = timeout;
    this.keepAliveTimeout = keepAliveTimeout;
  }

  /**
   * The routes' flow behind the timeouts; {@code timeout} zero or negative: the routes alone;
   * {@code keepAliveTimeout} zero or negative: idle kept-alive connections are left to the
   * server's idle-timeout.
   */
  public static Flow<HttpRequest, HttpResponse, NotUsed> around(
      Flow<HttpRequest, HttpResponse, NotUsed> routes, Duration timeout, Duration keepAliveTimeout) {
    if (timeout.isZero() || timeout.isNegative()) {
      return routes;
    }
    return BidiFlow.fromGraph(new RequestHeaderTimeout(timeout, keepAliveTimeout)).join(routes);
  }

  @Override
  public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private int outstanding; // requests the routes hold without an answer yet

      {
        setHandler(fromClient, new AbstractInHandler() {
          @Override
          public void onPush() {
            cancelTimer(TIMER);
            outstanding++;
            push(toRoutes, grab(fromClient));
          }

          @Override
          public void onUpstreamFinish() {
            complete(toRoutes);
          }
        });
        setHandler(toRoutes, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(fromClient);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(fromClient, cause);
          }
        });
        setHandler(fromRoutes, new AbstractInHandler() {
          @Override
          public void onPush() {
            HttpResponse response = grab(fromRoutes);
            outstanding = Math.max(0, outstanding - 1);
            boolean idleNext = outstanding == 0 && response.entity().isStrict();
            if (idleNext && !keepAliveTimeout.isZero() && !keepAliveTimeout.isNegative()) {
              scheduleOnce(TIMER, keepAliveTimeout); // the next head of a kept-alive connection
            }
            push(toClient, response);
          }

          @Override
          public void onUpstreamFinish() {
            complete(toClient);
          }
        });
        setHandler(toClient, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(fromRoutes);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(fromRoutes, cause);
          }
        });
      }

      @Override
      public void preStart() {
        scheduleOnce(TIMER, timeout);
      }

      @Override
      public void onTimer(Object key) {
        completeStage(); // the server closes the connection
      }
    };
  }
}
