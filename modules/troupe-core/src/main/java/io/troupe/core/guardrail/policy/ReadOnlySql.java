package io.troupe.core.guardrail.policy;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A conservative check that SQL is one read-only statement. It is the guardrail's first line; the
 * database enforces read-only again with a read-only connection and transaction.
 */
final class ReadOnlySql {
  private static final Pattern LEADING = Pattern.compile("^(SELECT|WITH|VALUES|TABLE|EXPLAIN|SHOW)\\b");
  private static final Pattern WRITES = Pattern.compile(
      "\\b(INSERT|UPDATE|DELETE|MERGE|UPSERT|REPLACE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|CALL|EXEC|EXECUTE|COPY"
          + "|SET|LOCK|VACUUM|ANALYZE|REINDEX|CLUSTER|COMMENT|ATTACH|DETACH|RUNSCRIPT|SCRIPT|SHUTDOWN|BACKUP|CHECKPOINT|INTO)\\b");

  private ReadOnlySql() {}

  /** Empty when the statement is acceptable, else the reason. */
  static Optional<String> violation(String sql) {
    if (sql == null || sql.isBlank()) {
      return Optional.of("the SQL statement is empty");
    }
    String code = stripLiteralsAndComments(sql).trim();
    if (code.endsWith(";")) {
      code = code.substring(0, code.length() - 1).trim();
    }
    String upper = code.toUpperCase(Locale.ROOT);
    if (upper.contains(";")) {
      return Optional.of("only one SQL statement is allowed");
    }
    if (!LEADING.matcher(upper).find()) {
      return Optional.of("only read-only queries (SELECT, WITH, VALUES, EXPLAIN, SHOW) are allowed");
    }
    var write = WRITES.matcher(upper);
    if (write.find()) {
      return Optional.of("the query contains " + write.group(1) + ", which is not read-only");
    }
    return Optional.empty();
  }

  /** Replaces string literals and quoted identifiers by blanks, and drops comments. */
  static String stripLiteralsAndComments(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    int i = 0;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (c == '\'' || c == '"') {
        int j = i + 1;
        while (j < sql.length()) {
          if (sql.charAt(j) == c) {
            if (j + 1 < sql.length() && sql.charAt(j + 1) == c) {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        out.append(c == '\'' ? "''" : "\"x\"");
        i = j + 1;
      } else if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? sql.length() : nl;
      } else if (c == '/' && i + 1 < sql.length() && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? sql.length() : end + 2;
        out.append(' ');
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
