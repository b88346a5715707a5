package io.troupe.core.session;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Intent ids name their session: {@code <sessionId>.<n>}, the n-th intent of that session, or
 * {@code <sessionId>.i<n>} for one accepted through the inbox (its n is the inbox's). Any node can
 * route a read to the right session entity without an index.
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

  /** Whether the id is one the inbox gave. */
  public static boolean isFromInbox(String intentId) {
    int dot = intentId.lastIndexOf('.');
    return dot > 0 && dot + 1 < intentId.length() && intentId.charAt(dot + 1) == 'i';
  }

  /** The session of a well-formed intent id; empty for anything else. */
  public static Optional<String> sessionOf(String intentId) {
    if (intentId == null) return Optional.empty();
    int dot = intentId.lastIndexOf('.');
    if (dot <= 0 || dot == intentId.length() - 1) return Optional.empty();
    String session = intentId.substring(0, dot);
    String ordinal = intentId.substring(dot + 1);
    if (ordinal.startsWith("i")) ordinal = ordinal.substring(1); // through the inbox
    if (!isValidSessionId(session) || ordinal.isEmpty() || ordinal.length() > 18
        || !ordinal.chars().allMatch(Character::isDigit)) {
      return Optional.empty();
    }
    return Optional.of(session);
  }
}
