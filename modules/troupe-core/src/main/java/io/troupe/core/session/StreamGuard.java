package io.troupe.core.session;

import io.troupe.core.guardrail.Verdict;

/**
 * The output guard of one run's streamed text: deltas are held until the text they belong to has
 * passed the guardrail, then released. Each time {@code window} characters are unchecked (and no
 * check is out), the whole text of the model call so far is checked. What passed is released except
 * the last {@code holdBack} characters, cut back to a space: a denied phrase of up to
 * {@code holdBack} characters, or a secret (no spaces), is then never half released. What is left
 * is released with the answer, once the answer has passed. A window of 0 holds everything until then.
 * No Pekko types: the session entity drives it.
 */
final class StreamGuard {
  private final int window;
  private final int holdBack;

  private final StringBuilder text = new StringBuilder(); // this model call's text
  private int checkedUpTo; // text[0, checkedUpTo) is being or has been checked
  private boolean checking;
  private String released = ""; // what clients have of this model call's text
  private long firstDeltaNanos;
  private long firstReleaseNanos;
  private int maxHeld;

  StreamGuard(int window, int holdBack) {
    this.window = window;
    this.holdBack = holdBack;
  }

  /** A new model call: its text starts empty (what an earlier call released stays released). */
  void nextCall() {
    text.setLength(0);
    checkedUpTo = 0;
    checking = false;
    released = "";
  }

  /** Adds a delta; the text to check now, or null. */
  String add(String delta, long nowNanos) {
    if (firstDeltaNanos == 0) firstDeltaNanos = nowNanos;
    text.append(delta);
    maxHeld = Math.max(maxHeld, text.length() - released.length());
    return pending();
  }

  /** The verdict of the check sent last: the text to release now (empty for none), or null when refused. */
  String checked(Verdict verdict, long nowNanos) {
    checking = false;
    if (!verdict.passes()) return null;
    String passed = verdict.isRewrite() ? verdict.rewritten() : text.substring(0, Math.min(checkedUpTo, text.length()));
    int cut = passed.length() - holdBack;
    while (cut > released.length() && !Character.isWhitespace(passed.charAt(cut - 1))) cut--;
    if (cut <= released.length() || !passed.startsWith(released)) return "";
    String out = passed.substring(released.length(), cut);
    released = passed.substring(0, cut);
    if (firstReleaseNanos == 0) firstReleaseNanos = nowNanos;
    return out;
  }

  /** The check to send now, if enough unchecked text waits and none is out; else null. */
  String pending() {
    if (window <= 0 || checking || text.length() - checkedUpTo < window) return null;
    checking = true;
    checkedUpTo = text.length();
    return text.toString();
  }

  /** The rest of the answer that passed, to release now: what clients do not have yet. */
  String finish(String answer, long nowNanos) {
    if (answer == null) return "";
    String rest = answer.startsWith(released) ? answer.substring(released.length()) : released.isEmpty() ? answer : "";
    if (!rest.isEmpty() && firstReleaseNanos == 0 && firstDeltaNanos != 0) firstReleaseNanos = nowNanos;
    released = answer;
    return rest;
  }

  boolean streamed() {
    return firstDeltaNanos != 0;
  }

  /** From the first delta in to the first text out, in milliseconds; -1 before any. */
  double firstReleaseDelayMillis() {
    return firstDeltaNanos == 0 || firstReleaseNanos == 0 ? -1 : (firstReleaseNanos - firstDeltaNanos) / 1e6;
  }

  /** The most characters held back at once. */
  int maxHeldChars() {
    return maxHeld;
  }
}
