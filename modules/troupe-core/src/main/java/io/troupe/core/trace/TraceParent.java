package io.troupe.core.trace;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.troupe.core.CborSerializable;
import java.util.Optional;

/**
 * A caller's W3C trace context ({@code traceparent: 00-<trace id>-<parent span id>-<flags>}): an
 * intent submitted with one joins the caller's trace, its root span a child of the caller's span.
 *
 * @param traceId 32 lowercase hex digits, not all zeros
 * @param parentSpanId 16 lowercase hex digits, not all zeros
 * @param sampled the caller's sampled flag
 */
public record TraceParent(String traceId, String parentSpanId, boolean sampled) implements CborSerializable {

  @JsonCreator
  public TraceParent(@JsonProperty("traceId") String traceId, @JsonProperty("parentSpanId") String parentSpanId,
      @JsonProperty("sampled") boolean sampled) {
    if (!isHex(traceId, 32) || !isHex(parentSpanId, 16)) {
      throw new IllegalArgumentException("not a W3C trace id and span id: " + traceId + ", " + parentSpanId);
    }
    this.traceId = traceId;
    this.parentSpanId = parentSpanId;
    this.sampled = sampled;
  }

  /**
   * The header's value, or empty when it is absent or not valid W3C trace context (an invalid
   * {@code traceparent} is ignored, as the specification asks: the intent starts a trace of its own).
   */
  public static Optional<TraceParent> parse(String header) {
    if (header == null) return Optional.empty();
    String h = header.trim();
    // version "-" trace id "-" parent id "-" flags; a later version may append "-" and more.
    if (h.length() < 55 || (h.length() > 55 && h.charAt(55) != '-')) return Optional.empty();
    String version = h.substring(0, 2);
    if (!isHexDigits(version) || version.equals("ff") || (version.equals("00") && h.length() != 55)) {
      return Optional.empty();
    }
    if (h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-') return Optional.empty();
    String traceId = h.substring(3, 35);
    String spanId = h.substring(36, 52);
    String flags = h.substring(53, 55);
    if (!isHex(traceId, 32) || !isHex(spanId, 16) || !isHexDigits(flags)) return Optional.empty();
    return Optional.of(new TraceParent(traceId, spanId, (Integer.parseInt(flags, 16) & 1) == 1));
  }

  /** {@code 00-<trace id>-<span id>-01} (or {@code -00} when not sampled), for a request onwards. */
  public static String header(String traceId, String spanId, boolean sampled) {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
  }

  private static boolean isHex(String s, int length) {
    return s != null && s.length() == length && isHexDigits(s) && !s.chars().allMatch(c -> c == '0');
  }

  private static boolean isHexDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }
}
