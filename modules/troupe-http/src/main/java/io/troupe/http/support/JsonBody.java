package io.troupe.http.support;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Reads a JSON request body with precise errors: 400 for an empty or malformed body, 413 over
 * the size limit (declared or streamed), 415 for a content type other than JSON. The parser is
 * bounded by {@link IngressLimits} (depth, number, string and name length) and rejects duplicate
 * keys, so no body costs more than its size in memory or CPU.
 */
public final class JsonBody {
  /** A package-qualified name or a Jackson feature constant. */
  private static final Pattern JAVA_NAME = Pattern.compile("\\b[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z]|[A-Za-z]+Feature\\.");

  private JsonBody() {}

  public static Route json(
      IngressLimits limits, long maxBytes, Duration readTimeout, Function<JsonNode, Route> inner) {
    return extractRequestEntity(entity -> extractMaterializer(mat -> {
      OptionalLong declared = entity.getContentLengthOption();
      if (declared.isPresent() && declared.getAsLong() > maxBytes) {
        // Read and drop the body first (the parser caps it), so that a client still sending it gets
        // the 413 instead of a connection closed under its upload.
        return onComplete(entity.discardBytes(mat).completionStage(),
            drained -> complete(JsonResponses.error(tooLarge(maxBytes))));
      }
      if (entity.isKnownEmpty() || (declared.isPresent() && declared.getAsLong() == 0)) {
        return complete(JsonResponses.error(ApiError.invalid("a JSON request body is required")));
      }
      if (!isJson(entity)) {
        return complete(JsonResponses.error(ApiError.of(ApiError.UNSUPPORTED_MEDIA_TYPE,
            "the request body must be application/json, not " + entity.getContentType().mediaType())));
      }
      return onComplete(entity.toStrict(readTimeout.toMillis(), maxBytes, mat), body -> {
        if (body.isFailure()) {
          Throwable cause = JsonResponses.unwrap(body.failed().get());
          if (JsonResponses.isTooLarge(cause)) {
            return complete(JsonResponses.error(tooLarge(maxBytes)));
          }
          return complete(JsonResponses.error(ApiError.invalid("could not read the request body")));
        }
        JsonNode node;
        try {
          node = parse(body.get().getData().toArray(), limits);
        } catch (ApiError e) {
          return complete(JsonResponses.error(e));
        }
        return inner.apply(node);
      });
    }));
  }

  /** Parses JSON text under the limits of reference.conf. */
  public static JsonNode parse(byte[] bytes) {
    return parse(bytes, IngressLimits.defaults());
  }

  /** Parses JSON text, throwing 400 with the parser's own position and reason. */
  public static JsonNode parse(byte[] bytes, IngressLimits limits) {
    try {
      JsonNode node = limits.jsonReader().readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw ApiError.invalid("a JSON request body is required");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw ApiError.invalid("the JSON exceeds a parser limit: " + constraintBroken(e.getOriginalMessage(), limits));
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw ApiError.invalid("malformed JSON" + where + ": " + withoutSourceNote(e.getOriginalMessage()));
    } catch (IOException e) {
      throw ApiError.invalid("malformed JSON");
    }
  }

  /** Our words for Jackson's constraint messages, which name its Java API. */
  private static String constraintBroken(String message, IngressLimits limits) {
    String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
    if (m.contains("nesting depth")) {
      return "nested deeper than " + limits.maxJsonNestingDepth() + " levels";
    }
    if (m.contains("number")) {
      return "a number longer than " + limits.maxJsonNumberLength() + " characters";
    }
    if (m.contains("name")) {
      return "a property name longer than " + limits.maxJsonNameLength() + " characters";
    }
    if (m.contains("string")) {
      return "a string longer than " + limits.maxJsonStringLength() + " characters";
    }
    return "the document is too large";
  }

  /**
   * The parser's reason without what names its Java API: its "[Source: ...]" notes, and the
   * class and feature names of a trailing-token error.
   */
  private static String withoutSourceNote(String message) {
    if (message == null) {
      return "unreadable input";
    }
    if (message.startsWith("Trailing token")) {
      return "unexpected content after the JSON value";
    }
    int note = message.indexOf("[Source:");
    String head = message;
    if (note >= 0) {
      head = message.substring(0, note);
      int open = head.lastIndexOf('(');
      head = (open >= 0 ? head.substring(0, open) : head).strip();
    }
    return JAVA_NAME.matcher(head).find() ? "unreadable input" : head;
  }


  private static boolean isJson(RequestEntity entity) {
    MediaType type = entity.getContentType().mediaType();
    String sub = type.subType().toLowerCase(Locale.ROOT);
    return "application".equalsIgnoreCase(type.mainType()) && (sub.equals("json") || sub.endsWith("+json"));
  }

  private static ApiError tooLarge(long maxBytes) {
    return ApiError.of(ApiError.PAYLOAD_TOO_LARGE, "the request body is larger than " + maxBytes + " bytes");
  }
}
