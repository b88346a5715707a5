package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.http.security.ApiKeys;
import io.troupe.http.security.SecuritySettings;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingress over HTTPS with a self-signed PKCS12 keystore made by the JDK's keytool. */
class HttpsIngressTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final String PASSWORD = "keystore-pass-4711";

  @TempDir
  static Path dir;
  static Path keystore;

  @BeforeAll
  static void makeKeystore() throws Exception {
    keystore = dir.resolve("ingress.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "troupe", "-keyalg", "RSA", "-keysize", "2048",
        "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("keytool.log").toFile())
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not finish in 60 s");
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("keytool.log")));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static SecuritySettings tls(String password) {
    return new SecuritySettings(false, ApiKeys.NONE, 0, 0, 0,
        new SecuritySettings.Tls(true, keystore.toString(), password, "PKCS12"), List.of());
  }

  static CompletableFuture<InetSocketAddress> start(SecuritySettings security) {
    Backends backends = Fakes.backends(testKit, id -> null, testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()), testKit.spawn(Fakes.vectorStore()), null);
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, IngressSecurityTest.httpSettings(), security, () -> 0, bound));
    return bound;
  }

  @Test
  void healthAnswersOverHttpsToAClientThatTrustsTheCertificate() throws Exception {
    int port = start(tls(PASSWORD)).get(20, TimeUnit.SECONDS).getPort();
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(keystore)).connectTimeout(Duration.ofSeconds(5)).build();
    var r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health/live"))
        .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"live\""), r.body());

    // Plain HTTP on that port gets no answer.
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(Exception.class, () -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void aWrongPasswordFailsTheStartWithoutShowingIt() {
    var failure = assertThrows(ExecutionException.class, () -> start(tls("wrong-password-0815")).get(20, TimeUnit.SECONDS));
    String message = failure.getCause().getMessage();
    assertTrue(message.contains("keystore"), message);
    assertFalse(message.contains("wrong-password-0815"), message);
  }

  /** A client context that trusts exactly the certificate in {@code keystore}. */
  static SSLContext trusting(Path keystore) throws Exception {
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      server.load(in, PASSWORD.toCharArray());
    }
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("troupe", server.getCertificate("troupe"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
