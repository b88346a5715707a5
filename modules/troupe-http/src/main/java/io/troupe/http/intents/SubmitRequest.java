package io.troupe.http.intents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.session.IntentIds;
import io.troupe.core.trace.Ids;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A validated intent submission: {@code {"text", "sessionId"?, "metadata"?}}.
 *
 * @param sessionId the session to run in; derived from the idempotency key or random when the
 *     client names none
 */
public record SubmitRequest(String text, String sessionId, ObjectNode metadata, String idempotencyKey) {

  private static final int MAX_KEY_LENGTH = 256;

  /**
   * Validates one submission. {@code prefix} names the item in messages (e.g. {@code intents[2]: }).
   *
   * @throws ApiError 400 with a message naming the field
   */
  public static SubmitRequest parse(JsonNode body, Optional<String> idempotencyKey, String prefix) {
    ObjectNode obj = Fields.object(body, prefix.isEmpty() ? "the request body" : prefix.replaceAll(":\\s*$", ""));
    String text = Fields.requiredText(obj, "text", prefix);
    Optional<String> sessionId = Fields.optionalString(obj, "sessionId", prefix);
    if (sessionId.isPresent() && !IntentIds.isValidSessionId(sessionId.get())) {
      throw ApiError.invalid(prefix + "`sessionId` must be 1 to 64 characters of letters, digits, '-' or '_'");
    }
    ObjectNode metadata = Fields.optionalObject(obj, "metadata", prefix).orElse(null);
    Optional<String> key = idempotencyKey.filter(k -> !k.isBlank());
    if (key.isPresent() && key.get().length() > MAX_KEY_LENGTH) {
      throw ApiError.invalid("the Idempotency-Key header must be at most " + MAX_KEY_LENGTH + " characters");
    }
    String session = sessionId.orElseGet(() -> key.map(SubmitRequest::sessionOfKey).orElseGet(SubmitRequest::randomSessionId));
    return new SubmitRequest(text, session, metadata, key.orElse(null));
  }

  /** The same key always lands on the same session entity, which dedupes the retry. */
  static String sessionOfKey(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "s-" + HexFormat.of().formatHex(digest).substring(0, 24);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String randomSessionId() {
    return "s-" + Ids.random(12);
  }
}
