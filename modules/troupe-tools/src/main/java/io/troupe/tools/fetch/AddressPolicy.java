package io.troupe.tools.fetch;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which addresses http_fetch may connect to. Denied unless allow-listed: loopback (127/8, ::1),
 * link-local (169.254/16, fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7), CGNAT
 * (100.64/10), "this network" (0/8), multicast (224/4, ff00::/8), reserved (240/4, broadcast),
 * the unspecified addresses, and these same IPv4 ranges inside IPv6 (IPv4-mapped ::ffff:a.b.c.d,
 * IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16).
 */
public final class AddressPolicy {
  private final Set<String> allowHosts;
  private final List<Cidr> allowCidrs;

  /**
   * @param allowHosts host names or literals, optionally with ":port", that are allowed whatever
   *     they resolve to
   * @param allowCidrs ranges such as {@code 10.1.0.0/16} or {@code fd00::/8} that are allowed
   */
  public AddressPolicy(List<String> allowHosts, List<String> allowCidrs) {
    this.allowHosts = allowHosts.stream().map(AddressPolicy::normalizeHost).collect(Collectors.toUnmodifiableSet());
    List<Cidr> cidrs = new ArrayList<>();
    for (String c : allowCidrs) cidrs.add(Cidr.parse(c));
    this.allowCidrs = List.copyOf(cidrs);
  }

  /** Whether {@code host} (as written in the URL) or {@code host:port} is on the allow-list. */
  public boolean hostAllowed(String host, int port) {
    String h = normalizeHost(host);
    return allowHosts.contains(h) || allowHosts.contains(h + ":" + port);
  }

  /** Null when {@code address} may be connected to, else why not. */
  public String denial(InetAddress address) {
    for (Cidr c : allowCidrs) {
      if (c.contains(address)) return null;
    }
    return forbiddenRange(address);
  }

  /** The name of the forbidden range {@code address} is in, or null for a public address. */
  public static String forbiddenRange(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address) {
      byte[] v4 = embeddedIpv4(b);
      if (v4 != null) {
        String inner = forbiddenRange(v4ToAddress(v4));
        if (inner != null) return inner + " (in an IPv6 form)";
        // an embedded public IPv4 address is fine
        return null;
      }
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      if (address.isAnyLocalAddress()) return "unspecified";
      if (address.isLoopbackAddress()) return "loopback";
      if (first == 0xfe && (second & 0xc0) == 0x80) return "link-local";
      if (first == 0xfe && (second & 0xc0) == 0xc0) return "site-local";
      if ((first & 0xfe) == 0xfc) return "private (unique local)";
      if (first == 0xff) return "multicast";
      if (first == 0x20 && second == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) return "documentation";
      return null;
    }
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    if (a0 == 0) return "unspecified (0.0.0.0/8)";
    if (a0 == 127) return "loopback";
    if (a0 == 10) return "private";
    if (a0 == 172 && a1 >= 16 && a1 <= 31) return "private";
    if (a0 == 192 && a1 == 168) return "private";
    if (a0 == 169 && a1 == 254) return "link-local";
    if (a0 == 100 && a1 >= 64 && a1 <= 127) return "carrier-grade NAT";
    if (a0 == 192 && a1 == 0 && (b[2] & 0xff) == 0) return "IETF protocol assignments";
    if (a0 == 198 && (a1 == 18 || a1 == 19)) return "benchmarking";
    if (a0 >= 224 && a0 <= 239) return "multicast";
    if (a0 >= 240) return "reserved";
    return null;
  }

  /** The IPv4 address inside an IPv6 one (mapped, compatible, NAT64, 6to4), or null. */
  static byte[] embeddedIpv4(byte[] b) {
    boolean zero10 = true;
    for (int i = 0; i < 10; i++) zero10 &= b[i] == 0;
    if (zero10 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) return slice(b, 12); // ::ffff:a.b.c.d
    if (zero10 && b[10] == 0 && b[11] == 0) {
      // ::a.b.c.d (compatible), but ::1 and :: are IPv6's own loopback and unspecified
      boolean low = b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] & 0xff) <= 1;
      return low ? null : slice(b, 12);
    }
    if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      boolean zeros = true;
      for (int i = 4; i < 12; i++) zeros &= b[i] == 0;
      if (zeros) return slice(b, 12); // 64:ff9b::a.b.c.d
    }
    if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
      return new byte[] {b[2], b[3], b[4], b[5]}; // 2002:aabb:ccdd::/48
    }
    return null;
  }

  private static byte[] slice(byte[] b, int from) {
    return new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]};
  }

  private static InetAddress v4ToAddress(byte[] v4) {
    try {
      return Inet4Address.getByAddress(v4);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  static String normalizeHost(String host) {
    String h = host.toLowerCase(Locale.ROOT).strip();
    if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
    return h;
  }

  /** An address range. */
  record Cidr(byte[] network, int bits) {
    static Cidr parse(String text) {
      String[] parts = text.strip().split("/", 2);
      byte[] net = Literals.parse(parts[0]);
      if (net == null) throw new IllegalArgumentException("not an address range: '" + text + "'");
      int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : net.length * 8;
      if (bits < 0 || bits > net.length * 8) throw new IllegalArgumentException("bad prefix length in '" + text + "'");
      return new Cidr(net, bits);
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        byte[] v4 = a.length == 16 ? embeddedIpv4(a) : null;
        if (v4 == null || network.length != 4) return false;
        a = v4;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) if (a[i] != network[i]) return false;
      int rest = bits % 8;
      if (rest == 0) return true;
      int mask = (0xff << (8 - rest)) & 0xff;
      return (a[full] & mask) == (network[full] & mask);
    }
  }
}
