package io.troupe.http.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/** The server side of TLS for the ingress, from a keystore file (PKCS12 by default). */
public final class HttpsContexts {
  private HttpsContexts() {}

  /** @throws IllegalArgumentException naming the keystore and the reason, never the password */
  public static HttpsConnectionContext server(SecuritySettings.Tls tls) {
    return ConnectionContext.httpsServer(sslContext(tls));
  }

  static SSLContext sslContext(SecuritySettings.Tls tls) {
    char[] password = tls.keystorePassword().toCharArray();
    Path path = Path.of(tls.keystore());
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore keyStore = KeyStore.getInstance(tls.keystoreType());
      keyStore.load(in, password);
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(keyStore, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("could not load the TLS keystore " + path + " (" + tls.keystoreType() + "): "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }
}
