package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.http.security.SecuritySettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that sends half a request head, or nothing, and stalls, loses its connection after
 * {@code troupe.http.server.request-header-timeout}, and an idle kept-alive one after
 * {@code keep-alive-timeout}: long before the idle-timeout (180 s).
 */
class RequestHeaderTimeoutTest {
  static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "troupe.http.server { request-header-timeout = 500ms, keep-alive-timeout = 1s }").withFallback(ConfigFactory.load()));
  static int port;

  @BeforeAll
  static void start() throws Exception {
    Backends backends = Fakes.backends(testKit, id -> null, testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()), testKit.spawn(Fakes.vectorStore()), null);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, IngressSecurityTest.httpSettings(), SecuritySettings.open(), () -> 0, bound));
    port = bound.get(20, TimeUnit.SECONDS).getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Reads until the server closes the connection; fails if it is still open after 10 s. */
  private static String readUntilClosed(Socket socket) throws IOException {
    socket.setSoTimeout(10_000); // far below the idle-timeout, far above the header timeout
    InputStream in = socket.getInputStream();
    StringBuilder out = new StringBuilder();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (SocketException reset) {
      // closed with a reset: closed all the same
    }
    return out.toString();
  }

  @Test
  void halfARequestHeadLosesTheConnection() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write("POST /v1/intents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      assertEquals("", readUntilClosed(socket), "no answer to half a head, only the close");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms >= 300 && ms < 5_000, "closed after " + ms + " ms");
    }
  }

  @Test
  void aSilentConnectionIsClosedToo() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      assertEquals("", readUntilClosed(socket));
    }
  }

  @Test
  void aWholeRequestIsAnsweredAndAnIdleKeptAliveConnectionClosedAfterIt() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      String answer = readUntilClosed(socket);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      assertTrue(ms < 5_000, "closed after " + ms + " ms");
    }
  }
}
