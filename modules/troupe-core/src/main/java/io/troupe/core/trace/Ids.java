package io.troupe.core.trace;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random identifiers in the OpenTelemetry sizes: 16-byte trace ids, 8-byte span ids. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private Ids() {}

  public static String traceId() {
    return random(16);
  }

  public static String spanId() {
    return random(8);
  }

  public static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HEX.formatHex(b);
  }
}
