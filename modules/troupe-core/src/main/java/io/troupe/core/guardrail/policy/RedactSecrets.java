package io.troupe.core.guardrail.policy;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Secret and personal-data redaction ({@code troupe.guardrail.redact}): API-key shapes, card numbers
 * (Luhn-checked) and e-mail addresses are replaced by {@code [redacted:<kind>]}. Returns a
 * {@code rewrite} naming the kinds it found, never the values.
 */
public final class RedactSecrets implements GuardrailPolicy {
  public static final String NAME = "redact-secrets";

  public static final String API_KEYS = "api-keys";
  public static final String CARDS = "cards";
  public static final String EMAILS = "emails";

  private static final Pattern API_KEY = Pattern.compile(String.join("|",
      "\\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}",
      "\\bAKIA[0-9A-Z]{16}\\b",
      "\\bgh[pousr]_[A-Za-z0-9]{36,}\\b",
      "\\bxox[abprs]-[A-Za-z0-9-]{10,}",
      "\\bAIza[0-9A-Za-z_-]{35}\\b",
      "(?i)\\bbearer\\s+[A-Za-z0-9._~+/-]{20,}=*"));
  private static final Pattern CARD = Pattern.compile("\\b\\d(?:[ -]?\\d){12,18}\\b");
  private static final Pattern EMAIL = Pattern.compile("\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b");

  private final boolean apiKeys;
  private final boolean cards;
  private final boolean emails;

  public RedactSecrets(Collection<String> kinds) {
    Set<String> unknown = new LinkedHashSet<>(kinds);
    unknown.removeAll(List.of(API_KEYS, CARDS, EMAILS));
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("troupe.guardrail.redact: unknown kinds " + unknown
          + " (known: " + API_KEYS + ", " + CARDS + ", " + EMAILS + ")");
    }
    this.apiKeys = kinds.contains(API_KEYS);
    this.cards = kinds.contains(CARDS);
    this.emails = kinds.contains(EMAILS);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Verdict check(GuardTarget target) {
    String text = target.text();
    if (text == null || text.isEmpty()) return Verdict.allow();
    List<String> found = new ArrayList<>(3);
    String out = text;
    // Each pattern runs only where what it cannot match without is present: most texts have none.
    if (apiKeys && mayHoldApiKey(out)) out = replace(API_KEY, out, "[redacted:api_key]", found, "an API key", false);
    if (cards && digitCount(out) >= 13) out = replace(CARD, out, "[redacted:card]", found, "a card number", true);
    if (emails && out.indexOf('@') >= 0) out = replace(EMAIL, out, "[redacted:email]", found, "an e-mail address", false);
    if (found.isEmpty()) return Verdict.allow();
    return Verdict.rewrite(NAME, "redacted " + String.join(", ", found), out);
  }

  private static String replace(Pattern pattern, String text, String with, List<String> found, String what,
      boolean luhn) {
    Matcher m = pattern.matcher(text);
    StringBuilder sb = null;
    int last = 0;
    boolean json = looksLikeJson(text);
    int quotesScannedTo = 0;
    boolean inString = false;
    while (m.find()) {
      if (luhn && !(luhnValid(m.group()) && issuedPrefix(m.group()))) continue;
      if (sb == null) sb = new StringBuilder(text.length());
      // A bare JSON number becomes a JSON string, so that redacted JSON stays JSON.
      boolean bare = false;
      if (json) {
        inString = insideString(text, quotesScannedTo, m.start(), inString);
        quotesScannedTo = m.start();
        bare = !inString;
      }
      sb.append(text, last, m.start()).append(bare ? '"' + with + '"' : with);
      last = m.end();
    }
    if (sb == null) return text;
    found.add(what);
    return sb.append(text, last, text.length()).toString();
  }

  /** Whether the text may hold something this policy redacts: when false, {@link #check} allows it. */
  public boolean mayMatch(String text) {
    return apiKeys && mayHoldApiKey(text) || cards && digitCount(text) >= 13 || emails && text.indexOf('@') >= 0;
  }

  /**
   * Whether the text holds one of the fixed starts of {@link #API_KEY}'s shapes: {@code sk-},
   * {@code AKIA}, {@code gh?_}, {@code xox}, {@code AIza} or {@code bearer} in any case.
   */
  static boolean mayHoldApiKey(String text) {
    int n = text.length();
    for (int i = 0; i + 2 < n; i++) {
      char c = text.charAt(i);
      switch (c) {
        case 's' -> {
          if (text.charAt(i + 1) == 'k' && text.charAt(i + 2) == '-') return true;
        }
        case 'A' -> {
          if (text.startsWith("AKIA", i) || text.startsWith("AIza", i)) return true;
        }
        case 'g' -> {
          if (text.charAt(i + 1) == 'h' && i + 3 < n && text.charAt(i + 3) == '_') return true;
        }
        case 'x' -> {
          if (text.startsWith("xox", i)) return true;
        }
        case 'b', 'B' -> {
          if (text.regionMatches(true, i, "bearer", 0, 6)) return true;
        }
        default -> { }
      }
    }
    return false;
  }

  private static int digitCount(String text) {
    int digits = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') digits++;
    }
    return digits;
  }

  private static boolean looksLikeJson(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c)) return c == '{' || c == '[';
    }
    return false;
  }

  /** Whether position {@code to} is inside a JSON string, scanning on from {@code from}. */
  private static boolean insideString(String text, int from, int to, boolean inString) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c == '\\' && inString) i++;
      else if (c == '"') inString = !inString;
    }
    return inString;
  }

  /**
   * Whether the digits start as an issued card number does (Visa, Mastercard, Amex, Diners, JCB,
   * Discover, UnionPay, Maestro); a 13-digit timestamp such as {@code 1764834459123} does not.
   */
  static boolean issuedPrefix(String s) {
    StringBuilder d = new StringBuilder(4);
    for (int i = 0; i < s.length() && d.length() < 4; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') d.append(c);
    }
    int two = Integer.parseInt(d.substring(0, 2));
    int four = Integer.parseInt(d.toString());
    return switch (d.charAt(0)) {
      case '4', '5', '6' -> true;
      case '3' -> two == 30 || two == 34 || two == 35 || two == 36 || two == 37 || two == 38 || two == 39;
      case '2' -> four >= 2221 && four <= 2720;
      default -> false;
    };
  }

  /** The Luhn checksum of the digits in {@code s}, as card numbers carry. */
  static boolean luhnValid(String s) {
    int sum = 0;
    boolean twice = false;
    int digits = 0;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') continue;
      int d = c - '0';
      if (twice) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      twice = !twice;
      digits++;
    }
    return digits >= 13 && sum % 10 == 0;
  }
}
