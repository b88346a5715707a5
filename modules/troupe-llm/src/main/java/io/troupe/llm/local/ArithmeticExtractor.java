package io.troupe.llm.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds an arithmetic expression in a sentence and writes it in the calculator's syntax:
 * "What is 17% of 2,340" → {@code 17% of 2340}, "five"-free: only digits count as numbers.
 * Number words for operators ("plus", "times", "divided by", "percent", ...) are turned into
 * symbols first; then the longest run of numbers and operators that has at least one binary
 * operator (or a percentage) wins.
 */
final class ArithmeticExtractor {
  private static final String NUM = "-?\\d[\\d,]*(?:\\.\\d+)?";
  /** "the sum of 3 and 4": rewritten before the request is split on "and". */
  private static final String[][] PAIRS = {
    {"(?i)\\bsum of (" + NUM + ") and (" + NUM + ")", "$1 + $2"},
    {"(?i)\\bproduct of (" + NUM + ") and (" + NUM + ")", "$1 * $2"},
    {"(?i)\\bdifference between (" + NUM + ") and (" + NUM + ")", "$1 - $2"},
  };
  private static final Pattern THOUSANDS = Pattern.compile("(?<![\\d.,])\\d{1,3}(?:,\\d{3})+(?![\\d,])");
  private static final Pattern TOKEN = Pattern.compile("\\d+(?:\\.\\d+)?|\\.\\d+|[-+*/^%()]|\\bof\\b|\\bmod\\b|\\s+|.");

  /** Phrase rewrites, applied in order on lower-case text. */
  private static final String[][] REWRITES = {
    {"\\b(?:per\\s?cent|pct)\\b", "%"},
    {"\\b(?:multiplied by|times)\\b", "*"},
    {"\\bdivided by\\b", "/"},
    {"(?<=[\\d)])\\s+over\\s+(?=[\\d(])", " / "},
    {"\\bplus\\b", "+"},
    {"\\bminus\\b", "-"},
    {"\\b(?:raised )?to the power of\\b|\\braised to\\b", "^"},
    {"\\bsquared\\b", "^ 2"},
    {"\\bcubed\\b", "^ 3"},
    {"\\bmodulo\\b", "mod"},
    {"(?<=\\d)\\s*x\\s*(?=\\d)", " * "},
  };

  private ArithmeticExtractor() {}

  /** Rewrites "the sum of A and B" and the like into operators, so that "and" no longer splits them. */
  static String joinPairs(String text) {
    String out = text;
    for (String[] pair : PAIRS) {
      out = out.replaceAll(pair[0], pair[1]);
    }
    return out;
  }

  static Optional<String> extract(String sentence) {
    String s = normalize(sentence);
    List<List<String>> runs = runs(s);
    List<String> best = null;
    for (List<String> run : runs) {
      List<String> cleaned = clean(run);
      if (cleaned != null && (best == null || cleaned.size() > best.size())) {
        best = cleaned;
      }
    }
    return Optional.ofNullable(best).map(ArithmeticExtractor::render);
  }

  static String normalize(String sentence) {
    String s = sentence.toLowerCase(Locale.ROOT)
        .replace('×', '*').replace('÷', '/').replace('−', '-').replace("**", "^");
    Matcher m = THOUSANDS.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, m.group().replace(",", ""));
    }
    m.appendTail(out);
    s = out.toString();
    for (String[] rewrite : REWRITES) {
      s = s.replaceAll(rewrite[0], rewrite[1]);
    }
    return s;
  }

  /** Splits the text into runs of math tokens; anything else ends a run. */
  private static List<List<String>> runs(String s) {
    List<List<String>> runs = new ArrayList<>();
    List<String> run = new ArrayList<>();
    Matcher m = TOKEN.matcher(s);
    while (m.find()) {
      String t = m.group();
      if (t.isBlank()) {
        continue;
      }
      String prev = run.isEmpty() ? null : run.get(run.size() - 1);
      boolean math = isNumber(t) || "+-*/^%()".contains(t) && t.length() == 1 || t.equals("mod")
          || t.equals("of") && "%".equals(prev);
      // Two operands in a row ("2024 17%") cannot be one expression.
      boolean operandAfterOperand = (isNumber(t) || t.equals("(")) && prev != null && (isNumber(prev) || prev.equals(")"));
      if (!math || operandAfterOperand) {
        if (!run.isEmpty()) runs.add(run);
        run = new ArrayList<>();
        if (!math) continue;
      }
      run.add(t);
    }
    if (!run.isEmpty()) runs.add(run);
    return runs;
  }

  /** Trims dangling operators; null when the run is not a useful expression. */
  private static List<String> clean(List<String> run) {
    List<String> r = new ArrayList<>(run);
    while (!r.isEmpty() && List.of("*", "/", "^", "%", "of", "mod", ")", "+").contains(r.get(0))) r.remove(0);
    while (!r.isEmpty() && List.of("+", "-", "*", "/", "^", "of", "mod", "(").contains(r.get(r.size() - 1))) {
      r.remove(r.size() - 1);
    }
    int depth = 0;
    boolean number = false;
    boolean operator = false;
    String prev = null;
    for (String t : r) {
      if (t.equals("(")) depth++;
      if (t.equals(")") && --depth < 0) return null;
      if (isNumber(t)) number = true;
      if (t.equals("%") || List.of("*", "/", "^", "mod").contains(t)) operator = true;
      if ((t.equals("+") || t.equals("-")) && !isUnary(prev)) operator = true;
      prev = t;
    }
    return depth == 0 && number && operator ? r : null;
  }

  private static String render(List<String> tokens) {
    StringBuilder b = new StringBuilder();
    String prev = null;
    for (String t : tokens) {
      boolean unary = (t.equals("-") || t.equals("+")) && isUnary(prev);
      if (t.equals("%") || t.equals(")")) {
        b.append(t);
      } else if (unary) {
        b.append(space(prev)).append(t.equals("-") ? "-" : "");
      } else if (List.of("+", "-", "*", "/", "^", "of", "mod").contains(t)) {
        b.append(' ').append(t);
      } else {
        b.append(space(prev)).append(t);
      }
      prev = unary ? "(" : t; // after a unary sign the operand attaches
    }
    return b.toString().trim();
  }

  private static String space(String prev) {
    return prev == null || prev.equals("(") ? "" : " ";
  }

  private static boolean isUnary(String prev) {
    return prev == null || List.of("+", "-", "*", "/", "^", "of", "mod", "(").contains(prev);
  }

  private static boolean isNumber(String t) {
    return !t.isEmpty() && (Character.isDigit(t.charAt(0)) || t.charAt(0) == '.' && t.length() > 1);
  }
}
