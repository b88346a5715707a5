package io.troupe.tools.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP literals parsed without any DNS look-up. */
final class Literals {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private Literals() {}

  /** The bytes of an IPv4 or IPv6 literal (brackets allowed), or null when {@code host} is a name. */
  static byte[] parse(String host) {
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (IPV4.matcher(h).matches()) {
      String[] parts = h.split("\\.");
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(parts[i]);
        if (v > 255) return null;
        b[i] = (byte) v;
      }
      return b;
    }
    if (h.indexOf(':') >= 0 && h.matches("[0-9A-Fa-f:.%a-zA-Z0-9]+")) {
      int zone = h.indexOf('%');
      String bare = zone >= 0 ? h.substring(0, zone) : h;
      if (!bare.matches("[0-9A-Fa-f:.]+")) return null;
      try {
        return InetAddress.getByName(bare).getAddress(); // a literal: no look-up
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return null;
  }

  static InetAddress address(String host) {
    byte[] b = parse(host);
    if (b == null) return null;
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
