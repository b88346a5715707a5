package io.troupe.db;

import java.util.Locale;
import java.util.Set;

/**
 * Refuses H2 statements that change the pooled session for the queries after it. H2's SELECT-only
 * reader may still run {@code SET SCHEMA} or {@code USE} (later queries would resolve names in
 * another schema), {@code SET PASSWORD} (new connections of the pool would fail to log in) and other
 * session settings, and a rollback does not undo them. Its rights stay the boundary for reading.
 */
final class H2QueryGuard {

  private static final Set<String> REFUSED_STATEMENTS = Set.of("set", "use");

  private H2QueryGuard() {}

  /** Why the statement is refused, or null when it may run. */
  static String refusal(String sql) {
    String first = firstWord(sql);
    return REFUSED_STATEMENTS.contains(first) ? first.toUpperCase(Locale.ROOT) + " statements are not allowed" : null;
  }

  /** The first word, lower-cased, after white space, comments (--, //, nested block) and parentheses. */
  static String firstWord(String sql) {
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c) || c == '(') {
        i++;
      } else if (sql.startsWith("--", i) || sql.startsWith("//", i)) {
        while (i < n && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
          i++;
        }
      } else if (sql.startsWith("/*", i)) {
        int depth = 0;
        do {
          if (sql.startsWith("/*", i)) {
            depth++;
            i += 2;
          } else if (sql.startsWith("*/", i)) {
            depth--;
            i += 2;
          } else {
            i++;
          }
        } while (depth > 0 && i < n);
      } else {
        break;
      }
    }
    int end = i;
    while (end < n && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_')) {
      end++;
    }
    return sql.substring(i, end).toLowerCase(Locale.ROOT);
  }
}
