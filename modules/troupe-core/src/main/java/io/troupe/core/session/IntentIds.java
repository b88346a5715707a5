package io.troupe.core.session;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Intent ids name their session: {@code <sessionId>.<n>}, the n-th intent of that session. Any
 * node can route a read to the right session entity without an index.
 */
public final class IntentIds {
  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private IntentIds() {}

  public static boolean isValidSessionId(String sessionId) {
    return sessionId != null && SESSION_ID.matcher(sessionId).matches();
  }

  public static String of(String sessionId, long ordinal) {
    return sessionId + "." + ordinal;
  }

  /** The session of a well-formed intent id; empty for anything else. */
  public static Optional<String> sessionOf(String intentId) {
    if (intentId == null) return Optional.empty();
    int dot = intentId.lastIndexOf('.');
    if (dot <= 0 || dot == intentId.length() - 1) return Optional.empty();
    String session = intentId.substring(0, dot);
    String ordinal = intentId.substring(dot + 1);
    if (!isValidSessionId(session) || ordinal.length() > 9 || !ordinal.chars().allMatch(Character::isDigit)) {
      return Optional.empty();
    }
    return Optional.of(session);
  }
}
