package io.troupe.core.trace;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random identifiers in the OpenTelemetry sizes: 16-byte trace ids, 8-byte span ids. Like the
 * OpenTelemetry SDK's own generator they come from a fast non-cryptographic source: they name spans,
 * they guard nothing. Never all zeros (an invalid id in W3C trace context).
 */
public final class Ids {
  private static final SecureRandom SECURE = new SecureRandom();

  private Ids() {}

  /** An identifier that must not be guessed (a session id handed to a client): cryptographically random. */
  public static String unguessable(int bytes) {
    byte[] b = new byte[bytes];
    SECURE.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public static String traceId() {
    return random(16);
  }

  public static String spanId() {
    return random(8);
  }

  public static String random(int bytes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] hex = new char[2 * bytes];
    boolean zero = true;
    for (int i = 0; i < hex.length; i += 16) {
      long word = random.nextLong();
      zero &= word == 0;
      for (int j = 0; j < 16 && i + j < hex.length; j++) {
        hex[i + j] = Character.forDigit((int) (word >>> (60 - 4 * j)) & 0xF, 16);
      }
    }
    return zero ? random(bytes) : new String(hex);
  }
}
