package io.troupe.http.support;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The bounds on what one request may make the ingress parse and hold, from {@code troupe.http}:
 * the intent text, the metadata, and the JSON parser's own constraints. The body size is bounded
 * before any of these, by {@code max-body-bytes}.
 */
public final class IngressLimits {
  private final int maxTextChars;
  private final long maxMetadataBytes;
  private final int maxMetadataDepth;
  private final int maxJsonNestingDepth;
  private final int maxJsonNumberLength;
  private final int maxJsonStringLength;
  private final int maxJsonNameLength;
  private final ObjectReader jsonReader;

  public IngressLimits(
      int maxTextChars,
      long maxMetadataBytes,
      int maxMetadataDepth,
      int maxJsonNestingDepth,
      int maxJsonNumberLength,
      int maxJsonStringLength,
      int maxJsonNameLength) {
    this.maxTextChars = maxTextChars;
    this.maxMetadataBytes = maxMetadataBytes;
    this.maxMetadataDepth = maxMetadataDepth;
    this.maxJsonNestingDepth = maxJsonNestingDepth;
    this.maxJsonNumberLength = maxJsonNumberLength;
    this.maxJsonStringLength = maxJsonStringLength;
    this.maxJsonNameLength = maxJsonNameLength;
    this.jsonReader = strictReader();
  }

  public static IngressLimits fromConfig(Config http) {
    return new IngressLimits(
        http.getInt("max-text-chars"),
        http.getBytes("metadata.max-bytes"),
        http.getInt("metadata.max-depth"),
        http.getInt("json.max-nesting-depth"),
        http.getInt("json.max-number-length"),
        Math.toIntExact(http.getBytes("json.max-string-length")),
        http.getInt("json.max-name-length"));
  }

  /** The defaults of reference.conf. */
  public static IngressLimits defaults() {
    return Defaults.LIMITS;
  }

  private static final class Defaults {
    static final IngressLimits LIMITS =
        fromConfig(ConfigFactory.defaultReference().getConfig("troupe.http"));
  }

  /**
   * A reader that bounds depth, number, string and name length while it parses, rejects
   * duplicate keys instead of keeping the last, and rejects trailing tokens.
   */
  private ObjectReader strictReader() {
    StreamReadConstraints constraints = StreamReadConstraints.builder()
        .maxNestingDepth(maxJsonNestingDepth)
        .maxNumberLength(maxJsonNumberLength)
        .maxStringLength(maxJsonStringLength)
        .maxNameLength(maxJsonNameLength)
        .build();
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(constraints)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    return new ObjectMapper(factory).reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  ObjectReader jsonReader() {
    return jsonReader;
  }

  public int maxTextChars() {
    return maxTextChars;
  }

  public long maxMetadataBytes() {
    return maxMetadataBytes;
  }

  public int maxMetadataDepth() {
    return maxMetadataDepth;
  }

  public int maxJsonNestingDepth() {
    return maxJsonNestingDepth;
  }

  public int maxJsonNumberLength() {
    return maxJsonNumberLength;
  }

  public int maxJsonStringLength() {
    return maxJsonStringLength;
  }

  public int maxJsonNameLength() {
    return maxJsonNameLength;
  }
}
