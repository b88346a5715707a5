package io.troupe.http.intents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.IntentIds;
import io.troupe.core.trace.Ids;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.IngressLimits;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * A validated intent submission: {@code {"text", "sessionId"?, "agent"?, "metadata"?}}.
 *
 * @param sessionId the session to run in; derived from the idempotency key or random when the
 *     client names none
 * @param agent the agent to run it, or null for {@code default}; the session refuses an unknown one
 */
public record SubmitRequest(String text, String sessionId, ObjectNode metadata, String idempotencyKey, String agent) {

  public SubmitRequest(String text, String sessionId, ObjectNode metadata, String idempotencyKey) {
    this(text, sessionId, metadata, idempotencyKey, null);
  }

  /** The same submission with another session and idempotency key. */
  public SubmitRequest with(String sessionId, String idempotencyKey) {
    return new SubmitRequest(text, sessionId, metadata, idempotencyKey, agent);
  }

  private static final int MAX_KEY_LENGTH = 256;

  /**
   * Validates one submission. {@code prefix} names the item in messages (e.g. {@code intents[2]: }).
   *
   * @throws ApiError 400 with a message naming the field; 413 for text or metadata over its limit
   */
  public static SubmitRequest parse(
      JsonNode body, Optional<String> idempotencyKey, String prefix, IngressLimits limits) {
    ObjectNode obj = Fields.object(body, prefix.isEmpty() ? "the request body" : prefix.replaceAll(":\\s*$", ""));
    String text = Fields.requiredText(obj, "text", prefix);
    if (text.length() > limits.maxTextChars()) {
      throw ApiError.of(ApiError.PAYLOAD_TOO_LARGE, prefix + "`text` has " + text.length()
          + " characters; at most " + limits.maxTextChars() + " are accepted");
    }
    Optional<String> sessionId = Fields.optionalString(obj, "sessionId", prefix);
    if (sessionId.isPresent() && !IntentIds.isValidSessionId(sessionId.get())) {
      throw ApiError.invalid(prefix + "`sessionId` must be 1 to 64 characters of letters, digits, '-' or '_'");
    }
    String agent = Fields.optionalString(obj, "agent", prefix).orElse(null);
    if (agent != null && (agent.isEmpty() || agent.length() > 64)) {
      throw ApiError.invalid(prefix + "`agent` must name an agent (1 to 64 characters)");
    }
    ObjectNode metadata = Fields.optionalObject(obj, "metadata", prefix).orElse(null);
    if (metadata != null) {
      checkMetadata(metadata, prefix + "`metadata`", limits);
    }
    Optional<String> key = idempotencyKey.filter(k -> !k.isBlank());
    if (key.isPresent() && key.get().length() > MAX_KEY_LENGTH) {
      throw ApiError.invalid("the Idempotency-Key header must be at most " + MAX_KEY_LENGTH + " characters");
    }
    if (key.isPresent() && !key.get().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw ApiError.invalid("the Idempotency-Key header must be printable ASCII");
    }
    String session = sessionId.orElseGet(() -> key.map(SubmitRequest::sessionOfKey).orElseGet(SubmitRequest::randomSessionId));
    return new SubmitRequest(text, session, metadata, key.orElse(null), agent);
  }

  /** Depth, keys and strings of the metadata, then its serialized size; the parser has bounded its depth already. */
  private static void checkMetadata(ObjectNode metadata, String what, IngressLimits limits) {
    Deque<Map.Entry<JsonNode, Integer>> pending = new ArrayDeque<>();
    pending.push(Map.entry(metadata, 1));
    while (!pending.isEmpty()) {
      Map.Entry<JsonNode, Integer> next = pending.pop();
      JsonNode node = next.getKey();
      int depth = next.getValue();
      if (node.isContainerNode() && depth > limits.maxMetadataDepth()) {
        throw ApiError.invalid(what + " is nested deeper than " + limits.maxMetadataDepth() + " levels");
      }
      if (node.isTextual()) {
        Fields.storableText(node.asText(), what + " values");
      }
      node.fieldNames().forEachRemaining(name -> Fields.storableText(name, what + " keys"));
      node.forEach(child -> pending.push(Map.entry(child, depth + 1)));
    }
    int bytes = Json.write(metadata).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > limits.maxMetadataBytes()) {
      throw ApiError.of(ApiError.PAYLOAD_TOO_LARGE,
          what + " is " + bytes + " bytes as JSON; at most " + limits.maxMetadataBytes() + " are accepted");
    }
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
    return "s-" + Ids.unguessable(12);
  }
}
