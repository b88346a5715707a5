package io.troupe.llm.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes a provider's API key, and anything shaped like a key or bearer token, from text that
 * may reach a user, a log or a trace (providers sometimes echo a key back in their errors).
 */
public final class Redactor {
  private static final int MAX = 500;
  private static final Pattern[] SHAPES = {
    Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=*-]+"),
    Pattern.compile("\\bsk-[A-Za-z0-9_*.-]{3,}"),
    Pattern.compile("(?i)\\b(api[_-]?key|x-api-key|authorization)\\b(\\s*[:=]\\s*)[^\\s,;&\"']+"),
  };

  private final String secret;

  public Redactor(String secret) {
    this.secret = secret == null ? "" : secret.trim();
  }

  public String redact(String text) {
    if (text == null) {
      return "";
    }
    String out = text;
    if (secret.length() >= 4) {
      out = out.replace(secret, "[redacted]");
    }
    for (Pattern p : SHAPES) {
      out = p.matcher(out).replaceAll(Matcher.quoteReplacement("[redacted]"));
    }
    out = out.replaceAll("\\s+", " ").trim();
    return out.length() <= MAX ? out : out.substring(0, MAX) + "...";
  }
}
