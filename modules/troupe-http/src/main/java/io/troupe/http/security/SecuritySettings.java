package io.troupe.http.security;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may call the ingress and how much: auth, per-tenant rate limits, load shedding and TLS,
 * from {@code troupe.http}. {@link #fromConfig} resolves {@code auth.enabled = auto} against the
 * bind address and refuses an unsafe combination with a message for the operator.
 *
 * @param authEnabled whether requests need a key
 * @param requestsPerSecond per tenant; 0 turns rate limiting off
 * @param burst requests a tenant may send at once above the steady rate
 * @param maxIntentsInFlight intents this node holds before it sheds new ones; 0 means no bound
 * @param warnings said once at start-up by the ingress
 */
public record SecuritySettings(
    boolean authEnabled,
    ApiKeys apiKeys,
    double requestsPerSecond,
    int burst,
    long maxIntentsInFlight,
    Tls tls,
    List<String> warnings) {

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[?[0-9a-fA-F:.]+]?");

  /**
   * @param keystorePassword never logged
   */
  public record Tls(boolean enabled, String keystore, String keystorePassword, String keystoreType) {
    public static final Tls OFF = new Tls(false, "", "", "PKCS12");

    @Override
    public String toString() {
      return "Tls[enabled=" + enabled + ", keystore=" + keystore + ", type=" + keystoreType + "]";
    }
  }

  /** No auth, no limits, plain HTTP: what the route tests and a local run without keys use. */
  public static SecuritySettings open() {
    return new SecuritySettings(false, ApiKeys.NONE, 0, 0, 0, Tls.OFF, List.of());
  }

  /** @throws IllegalArgumentException with a message an operator can act on (never a key or its hash) */
  public static SecuritySettings fromConfig(Config http) {
    String host = http.getString("host");
    ApiKeys keys = ApiKeys.parse(http.getString("api-keys"));
    String mode = http.getString("auth.enabled").trim().toLowerCase(Locale.ROOT);
    List<String> warnings = new ArrayList<>();
    boolean enabled = switch (mode) {
      case "on", "true", "yes" -> {
        if (keys.isEmpty()) {
          warnings.add("troupe.http.auth.enabled is on but no API keys are configured (TROUPE_API_KEYS): "
              + "every request except /health gets 401");
        }
        yield true;
      }
      case "off", "false", "no" -> {
        if (!isLoopback(host)) {
          warnings.add("AUTH IS OFF on " + host + ", which is not a loopback address: anyone who reaches this port "
              + "can submit intents and read every intent and document. Set TROUPE_API_KEYS and TROUPE_AUTH=auto");
        }
        yield false;
      }
      case "auto" -> {
        if (!keys.isEmpty()) {
          yield true;
        }
        if (!isLoopback(host)) {
          throw new IllegalArgumentException("the HTTP ingress binds " + host + ", which is not a loopback address, "
              + "and no API keys are configured. Set TROUPE_API_KEYS (<tenant>:<sha256-hex-of-key>:<scopes>, "
              + "see docs/security.md), or bind 127.0.0.1, or set TROUPE_AUTH=off to run open on purpose");
        }
        yield false;
      }
      default -> throw new IllegalArgumentException(
          "troupe.http.auth.enabled (TROUPE_AUTH) must be auto, on or off, not '" + mode + "'");
    };
    Config limits = http.getConfig("limits");
    double rate = limits.getDouble("requests-per-second");
    int burst = limits.getInt("burst");
    long maxInFlight = limits.getLong("max-intents-in-flight");
    if (rate < 0 || burst < 0 || maxInFlight < 0) {
      throw new IllegalArgumentException("troupe.http.limits values must not be negative (0 turns a limit off)");
    }
    Config tls = http.getConfig("tls");
    Tls tlsSettings = new Tls(tls.getBoolean("enabled"), tls.getString("keystore"), tls.getString("keystore-password"),
        tls.getString("keystore-type"));
    if (tlsSettings.enabled() && tlsSettings.keystore().isBlank()) {
      throw new IllegalArgumentException(
          "troupe.http.tls.enabled is on but no keystore is set (troupe.http.tls.keystore, TROUPE_HTTP_TLS_KEYSTORE)");
    }
    return new SecuritySettings(enabled, keys, rate, burst, maxInFlight, tlsSettings, List.copyOf(warnings));
  }

  /** localhost, or an IP literal in 127.0.0.0/8 or ::1. Host names other than localhost count as not loopback. */
  static boolean isLoopback(String host) {
    String h = host.trim();
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!IP_LITERAL.matcher(h).matches()) {
      return false;
    }
    try {
      // An IP literal: no name lookup happens.
      return InetAddress.getByName(h.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
