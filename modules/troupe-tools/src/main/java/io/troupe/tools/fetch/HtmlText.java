package io.troupe.tools.fetch;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns HTML into plain text for a model: drops comments, scripts, styles, and other non-content
 * elements with what they hold, ends lines at block elements, strips every other tag, decodes the
 * common entities and collapses whitespace. Not a browser: enough to read an article.
 */
public final class HtmlText {
  private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);
  private static final Pattern DROPPED = Pattern.compile(
      "<(script|style|noscript|template|svg|iframe|object|head)\\b[^>]*>.*?</\\1\\s*>",
      Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
  private static final Pattern DROPPED_OPEN = Pattern.compile(
      "<(script|style|noscript|template|svg|iframe|object)\\b[^>]*>.*\\z", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
  private static final Pattern TITLE = Pattern.compile("<title\\b[^>]*>(.*?)</title\\s*>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
  private static final Pattern BREAK = Pattern.compile(
      "<(br|/?p|/?div|/?li|/?ul|/?ol|/?tr|/?table|/?h[1-6]|/?section|/?article|/?header|/?footer|/?blockquote|/?pre|hr)\\b[^>]*>",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern TAG = Pattern.compile("<[^>]*>", Pattern.DOTALL);
  private static final Pattern ENTITY = Pattern.compile("&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);");
  private static final Map<String, String> NAMED = Map.of(
      "amp", "&", "lt", "<", "gt", ">", "quot", "\"", "apos", "'", "nbsp", " ", "mdash", "—", "ndash", "–",
      "hellip", "…", "copy", "©");

  private HtmlText() {}

  public static String toText(String html) {
    String title = null;
    Matcher t = TITLE.matcher(html);
    if (t.find()) title = decode(TAG.matcher(t.group(1)).replaceAll("")).strip();
    String s = COMMENT.matcher(html).replaceAll(" ");
    s = DROPPED.matcher(s).replaceAll(" ");
    s = DROPPED_OPEN.matcher(s).replaceAll(" ");
    s = BREAK.matcher(s).replaceAll("\n");
    s = TAG.matcher(s).replaceAll(" ");
    s = decode(s);
    StringBuilder out = new StringBuilder();
    if (title != null && !title.isEmpty()) out.append(title).append("\n\n");
    for (String line : s.split("\n")) {
      String l = line.replaceAll("[\\s\\u00a0]+", " ").strip();
      if (!l.isEmpty()) out.append(l).append('\n');
    }
    return out.toString().strip();
  }

  static String decode(String s) {
    Matcher m = ENTITY.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String e = m.group(1);
      String r;
      try {
        if (e.startsWith("#x") || e.startsWith("#X")) {
          r = new String(Character.toChars(Integer.parseInt(e.substring(2), 16)));
        } else if (e.startsWith("#")) {
          r = new String(Character.toChars(Integer.parseInt(e.substring(1))));
        } else {
          r = NAMED.getOrDefault(e.toLowerCase(), m.group());
        }
      } catch (IllegalArgumentException ex) {
        r = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(r));
    }
    m.appendTail(out);
    return out.toString();
  }
}
