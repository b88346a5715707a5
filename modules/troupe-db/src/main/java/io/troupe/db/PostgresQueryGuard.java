package io.troupe.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses PostgreSQL statements that could leave the reader role. A query runs as the main user
 * switched to the reader role with SET LOCAL ROLE; the session user may switch back, so whatever
 * changes the role, or runs SQL text that could, must not get through:
 *
 * <ul>
 *   <li>{@code set_config(...)} (it sets {@code role} like SET ROLE does), by any spelling of the name;
 *   <li>functions that run SQL given as text ({@code query_to_xml}, {@code ts_stat}, ...), since that
 *       text could call set_config; statements that do the same or change settings ({@code DO},
 *       {@code SET}, {@code RESET}, {@code PREPARE}, {@code EXECUTE}, ...);
 *   <li>server files, large objects and dblink ({@code pg_read_file}, {@code lo_*}, ...), which the
 *       role is denied anyway.
 * </ul>
 *
 * <p>Names are matched case-insensitively as whole identifiers, quoted or not, outside string
 * literals and comments: {@code SELECT 'set_config'} is fine. The tokenizer follows PostgreSQL's
 * lexer (scan.l) for what is code and what is not: strings ({@code '...'}, {@code E'...'} with
 * backslash escapes, {@code U&'...'}, {@code B'...'}, {@code X'...'}, {@code N'...'}), dollar
 * quotes, nested block comments, line comments, quoted identifiers; the query runs with
 * standard_conforming_strings on so that {@code '...'} has no backslash escapes. Where it could
 * disagree with the server (Unicode-escaped identifiers, a number run into a name or a dollar
 * sign) it refuses. This is defence in depth: the role's privileges are the boundary, this check
 * keeps the query inside that boundary.
 */
final class PostgresQueryGuard {

  /** First words of statements that change settings or run stored or inline code. */
  private static final Set<String> REFUSED_STATEMENTS = Set.of(
      "do", "set", "reset", "call", "prepare", "execute", "deallocate", "discard", "load", "copy",
      "listen", "notify", "unlisten");

  /** Functions and words refused anywhere in the statement. */
  private static final Set<String> REFUSED_NAMES = Set.of(
      "set_config",
      "execute", // EXPLAIN EXECUTE of a prepared statement
      "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
      "cursor_to_xml", "cursor_to_xmlschema",
      "ts_stat", "ts_rewrite",
      "pg_stat_file", "loread", "lowrite");

  /** Prefixes of function names refused when called. */
  private static final List<String> REFUSED_PREFIXES = List.of("pg_read_", "pg_ls_", "pg_file_", "lo_", "dblink");

  private PostgresQueryGuard() {}

  /** Why the statement is refused, or null when it may run. */
  static String refusal(String sql) {
    List<Token> tokens;
    try {
      tokens = tokenize(sql);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    for (int i = 0; i < tokens.size(); i++) {
      Token token = tokens.get(i);
      if (token.kind != Kind.WORD) {
        continue;
      }
      if (REFUSED_NAMES.contains(token.text)) {
        return token.text + " is not allowed";
      }
      boolean called = i + 1 < tokens.size() && tokens.get(i + 1).kind == Kind.OPEN;
      if (called && REFUSED_PREFIXES.stream().anyMatch(token.text::startsWith)) {
        return token.text + "(...) is not allowed";
      }
    }
    for (Token token : tokens) {
      if (token.kind == Kind.WORD) {
        return REFUSED_STATEMENTS.contains(token.text) ? token.text.toUpperCase(Locale.ROOT) + " statements are not allowed" : null;
      }
    }
    return null;
  }

  private enum Kind { WORD, OPEN, OTHER }

  /** A word is an identifier or keyword, lower-cased; quoted identifiers are words too. */
  private record Token(Kind kind, String text) {}

  private static final Token OPEN = new Token(Kind.OPEN, "(");
  private static final Token OTHER = new Token(Kind.OTHER, "");

  static List<Token> tokenize(String sql) {
    List<Token> tokens = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      char next = i + 1 < n ? sql.charAt(i + 1) : '\0';
      if (" \t\n\r\f\u000B".indexOf(c) >= 0) { // PostgreSQL's whitespace; anything else is a token
        i++;
      } else if (c == '-' && next == '-') {
        while (i < n && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
          i++;
        }
      } else if (c == '/' && next == '*') {
        i = skipBlockComment(sql, i);
      } else if (c == '\'') {
        i = skipString(sql, i + 1, false);
        tokens.add(OTHER);
      } else if (c == '"') {
        StringBuilder name = new StringBuilder();
        i = quotedIdentifier(sql, i + 1, name);
        tokens.add(new Token(Kind.WORD, name.toString().toLowerCase(Locale.ROOT)));
      } else if (c == '$' && dollarTagEnd(sql, i) > 0) {
        int tagEnd = dollarTagEnd(sql, i);
        String tag = sql.substring(i, tagEnd);
        int close = sql.indexOf(tag, tagEnd);
        if (close < 0) {
          throw new IllegalArgumentException("unterminated dollar-quoted string");
        }
        i = close + tag.length();
        tokens.add(OTHER);
      } else if (isIdentStart(c)) {
        char nextNext = i + 2 < n ? sql.charAt(i + 2) : '\0';
        if ((c == 'e' || c == 'E') && next == '\'') {
          i = skipString(sql, i + 2, true);
          tokens.add(OTHER);
        } else if ("bBxXnN".indexOf(c) >= 0 && next == '\'') {
          i = skipString(sql, i + 2, false);
          tokens.add(OTHER);
        } else if ((c == 'u' || c == 'U') && next == '&' && nextNext == '\'') {
          i = skipString(sql, i + 3, false);
          tokens.add(OTHER);
        } else if ((c == 'u' || c == 'U') && next == '&' && nextNext == '"') {
          throw new IllegalArgumentException("Unicode-escaped identifiers (U&\"...\") are not allowed");
        } else {
          int end = i + 1;
          while (end < n && isIdentCont(sql.charAt(end))) {
            end++;
          }
          tokens.add(new Token(Kind.WORD, sql.substring(i, end).toLowerCase(Locale.ROOT)));
          i = end;
        }
      } else if (isDigit(c) || (c == '.' && isDigit(next))) {
        i = skipNumber(sql, i);
        tokens.add(OTHER);
      } else {
        tokens.add(c == '(' ? OPEN : OTHER);
        i++;
      }
    }
    return tokens;
  }

  /** Index after the closing quote; {@code ''} is a quote; in E'...' a backslash escapes any character. */
  private static int skipString(String sql, int from, boolean backslashEscapes) {
    int i = from;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (backslashEscapes && c == '\\') {
        i += 2;
      } else if (c == '\'') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated string literal");
  }

  private static int quotedIdentifier(String sql, int from, StringBuilder name) {
    int i = from;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '"') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
          name.append('"');
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        name.append(c);
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated quoted identifier");
  }

  /** Block comments nest in PostgreSQL. */
  private static int skipBlockComment(String sql, int from) {
    int depth = 0;
    int i = from;
    while (i < sql.length()) {
      if (sql.startsWith("/*", i)) {
        depth++;
        i += 2;
      } else if (sql.startsWith("*/", i)) {
        depth--;
        i += 2;
        if (depth == 0) {
          return i;
        }
      } else {
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated comment");
  }

  /** For {@code $tag$} or {@code $$} at {@code from}, the index after it; otherwise -1 (e.g. a parameter $1). */
  private static int dollarTagEnd(String sql, int from) {
    int i = from + 1;
    if (i < sql.length() && isDollarTagStart(sql.charAt(i))) {
      i++;
      while (i < sql.length() && (isDollarTagStart(sql.charAt(i)) || isDigit(sql.charAt(i)))) {
        i++;
      }
    }
    return i < sql.length() && sql.charAt(i) == '$' ? i + 1 : -1;
  }

  /**
   * A numeric constant as PostgreSQL 16 reads it (decimal with _ separators, 0x/0o/0b, fraction,
   * exponent). A name or $ right after it is refused: versions disagree on where the number ends.
   */
  private static int skipNumber(String sql, int from) {
    int n = sql.length();
    int i = from;
    if (sql.charAt(i) == '0' && i + 1 < n && "xXoObB".indexOf(sql.charAt(i + 1)) >= 0) {
      i += 2;
      while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
        i++;
      }
    } else {
      i = skipDigits(sql, i);
      if (i < n && sql.charAt(i) == '.' && !(i + 1 < n && sql.charAt(i + 1) == '.')) {
        i = skipDigits(sql, i + 1);
      }
      if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
        int j = i + 1;
        if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
          j++;
        }
        if (j < n && isDigit(sql.charAt(j))) {
          i = skipDigits(sql, j);
        }
      }
    }
    if (i < n && (isIdentStart(sql.charAt(i)) || sql.charAt(i) == '$')) {
      throw new IllegalArgumentException("a number must not run into a name or $ (at offset " + i + ")");
    }
    return i;
  }

  private static int skipDigits(String sql, int from) {
    int i = from;
    while (i < sql.length() && (isDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
      i++;
    }
    return i;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** PostgreSQL: [A-Za-z\200-\377_]; every non-ASCII character here. */
  private static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  private static boolean isIdentCont(char c) {
    return isIdentStart(c) || isDigit(c) || c == '$';
  }

  private static boolean isDollarTagStart(char c) {
    return isIdentStart(c);
  }
}
