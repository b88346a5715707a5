package io.troupe.tools.calc;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recursive-descent arithmetic evaluator on {@link BigDecimal}.
 *
 * <pre>
 * expression     := additive END
 * additive       := multiplicative (('+' | '-') multiplicative)*
 * multiplicative := unary (('*' | '/' | 'mod' | '%' | 'of') unary)*
 * unary          := ('-' | '+') unary | power
 * power          := postfix ('^' unary)?          (right-associative; -2^2 = -4)
 * postfix        := primary '%'*                  (17% = 0.17, unless an operand follows: 10 % 3 is modulo)
 * primary        := number | '(' additive ')'
 * </pre>
 *
 * <p>Numbers may have decimals, an exponent and thousands separators ({@code 2,340}). Words work
 * too: {@code percent}, {@code of}, {@code plus}, {@code minus}, {@code times}, {@code x},
 * {@code divided by}, {@code multiplied by}, {@code over}, {@code mod}. So "17% of 2,340" is
 * {@code 0.17 * 2340 = 397.8}. Division keeps 34 significant digits; the result is rounded to
 * 12 decimal places and written without trailing zeros.
 */
public final class Calculator {
  private static final MathContext MC = MathContext.DECIMAL128;
  private static final int RESULT_SCALE = 12;
  private static final int MAX_EXPONENT = 9999;
  private static final int MAX_DIGITS = 1000;
  private static final Pattern NUMBER = Pattern.compile(
      "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?(?![\\d,])|(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final Pattern WORD = Pattern.compile("[A-Za-z]+");

  private enum Type { NUMBER, PLUS, MINUS, STAR, SLASH, CARET, PERCENT, MOD, OF, LPAREN, RPAREN, END }

  private record Token(Type type, BigDecimal value, String text, int position) {}

  private final String source;
  private final List<Token> tokens;
  private int pos;

  private Calculator(String source) {
    this.source = source;
    this.tokens = tokenize(source);
  }

  /** Evaluates {@code expression}; throws {@link CalculationException} with a readable reason. */
  public static BigDecimal evaluate(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new CalculationException("the expression is empty");
    }
    Calculator c = new Calculator(expression);
    BigDecimal value = c.additive();
    Token end = c.peek();
    if (end.type() != Type.END) {
      throw c.unexpected(end);
    }
    return normalize(value);
  }

  /** Rounds to 12 decimal places and strips trailing zeros, never to a negative scale. */
  public static BigDecimal normalize(BigDecimal value) {
    BigDecimal v = value.scale() > RESULT_SCALE ? value.setScale(RESULT_SCALE, RoundingMode.HALF_EVEN) : value;
    v = v.stripTrailingZeros();
    if (v.signum() == 0) return BigDecimal.ZERO;
    return v.scale() < 0 ? v.setScale(0) : v;
  }

  // --- grammar

  private BigDecimal additive() {
    BigDecimal left = multiplicative();
    while (true) {
      Type t = peek().type();
      if (t == Type.PLUS) {
        next();
        left = checked(left.add(multiplicative()));
      } else if (t == Type.MINUS) {
        next();
        left = checked(left.subtract(multiplicative()));
      } else {
        return left;
      }
    }
  }

  private BigDecimal multiplicative() {
    BigDecimal left = unary();
    while (true) {
      Token op = peek();
      switch (op.type()) {
        case STAR, OF -> {
          next();
          left = checked(left.multiply(unary()));
        }
        case SLASH -> {
          next();
          BigDecimal right = unary();
          if (right.signum() == 0) throw new CalculationException("division by zero");
          left = checked(left.divide(right, MC));
        }
        case MOD, PERCENT -> {
          next();
          BigDecimal right = unary();
          if (right.signum() == 0) throw new CalculationException("division by zero (modulo 0)");
          left = checked(left.remainder(right, MC));
        }
        default -> {
          return left;
        }
      }
    }
  }

  private BigDecimal unary() {
    Type t = peek().type();
    if (t == Type.MINUS) {
      next();
      return unary().negate();
    }
    if (t == Type.PLUS) {
      next();
      return unary();
    }
    return power();
  }

  private BigDecimal power() {
    BigDecimal base = postfix();
    if (peek().type() != Type.CARET) {
      return base;
    }
    next();
    BigDecimal exponent = unary();
    return checked(pow(base, exponent));
  }

  private BigDecimal postfix() {
    BigDecimal value = primary();
    while (peek().type() == Type.PERCENT && !operandFollows(pos + 1)) {
      next();
      value = value.divide(BigDecimal.valueOf(100), MC);
    }
    return value;
  }

  private boolean operandFollows(int index) {
    Type t = tokens.get(Math.min(index, tokens.size() - 1)).type();
    return t == Type.NUMBER || t == Type.LPAREN;
  }

  private BigDecimal primary() {
    Token t = next();
    if (t.type() == Type.NUMBER) {
      return t.value();
    }
    if (t.type() == Type.LPAREN) {
      BigDecimal inner = additive();
      Token close = next();
      if (close.type() != Type.RPAREN) {
        throw close.type() == Type.END
            ? new CalculationException("missing ')' at the end of '" + source + "'")
            : unexpected(close);
      }
      return inner;
    }
    if (t.type() == Type.END) {
      throw new CalculationException("the expression '" + source + "' ends where a number was expected");
    }
    throw unexpected(t);
  }

  private static BigDecimal pow(BigDecimal base, BigDecimal exponent) {
    BigDecimal e = exponent.stripTrailingZeros();
    if (e.scale() <= 0) {
      if (e.abs().compareTo(BigDecimal.valueOf(MAX_EXPONENT)) > 0) {
        throw new CalculationException("the exponent " + e.toPlainString() + " is too large (at most " + MAX_EXPONENT + ")");
      }
      int n = e.intValueExact();
      if (n < 0 && base.signum() == 0) throw new CalculationException("division by zero (0 to a negative power)");
      return base.pow(n, MC);
    }
    if (base.signum() < 0) {
      throw new CalculationException("a negative number cannot be raised to a fractional power");
    }
    double result = Math.pow(base.doubleValue(), e.doubleValue());
    if (Double.isNaN(result) || Double.isInfinite(result)) {
      throw new CalculationException("the result is too large");
    }
    return new BigDecimal(result, MathContext.DECIMAL64);
  }

  private static BigDecimal checked(BigDecimal v) {
    if (v.precision() - v.scale() > MAX_DIGITS) {
      throw new CalculationException("the result is too large (more than " + MAX_DIGITS + " digits)");
    }
    return v;
  }

  // --- tokens

  private Token peek() {
    return tokens.get(pos);
  }

  private Token next() {
    Token t = tokens.get(pos);
    if (t.type() != Type.END) pos++;
    return t;
  }

  private CalculationException unexpected(Token t) {
    return new CalculationException(
        "unexpected '" + t.text() + "' at position " + (t.position() + 1) + " in '" + source + "'");
  }

  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      if (Character.isDigit(c) || c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1))) {
        Matcher m = NUMBER.matcher(s).region(i, s.length());
        if (!m.lookingAt()) throw new CalculationException("invalid number at position " + (i + 1) + " in '" + s + "'");
        String text = m.group();
        out.add(new Token(Type.NUMBER, new BigDecimal(text.replace(",", "")), text, i));
        i = m.end();
        continue;
      }
      if (Character.isLetter(c)) {
        Matcher m = WORD.matcher(s).region(i, s.length());
        m.lookingAt();
        String word = m.group().toLowerCase(Locale.ROOT);
        int end = m.end();
        Type type = switch (word) {
          case "of" -> Type.OF;
          case "mod", "modulo" -> Type.MOD;
          case "percent", "pct" -> Type.PERCENT;
          case "plus" -> Type.PLUS;
          case "minus" -> Type.MINUS;
          case "times", "x" -> Type.STAR;
          case "over" -> Type.SLASH;
          case "divided", "multiplied" -> {
            Matcher by = Pattern.compile("\\s+by\\b", Pattern.CASE_INSENSITIVE).matcher(s).region(end, s.length());
            if (!by.lookingAt()) throw new CalculationException("expected 'by' after '" + word + "' in '" + s + "'");
            end = by.end();
            yield word.equals("divided") ? Type.SLASH : Type.STAR;
          }
          default -> throw new CalculationException("unknown word '" + m.group() + "' at position " + (i + 1) + " in '" + s
              + "'; use numbers and + - * / ^ % ( ) or 'x% of y'");
        };
        out.add(new Token(type, null, s.substring(i, end), i));
        i = end;
        continue;
      }
      Type type = switch (c) {
        case '+' -> Type.PLUS;
        case '-', '\u2212' -> Type.MINUS;
        case '*', '\u00d7' -> Type.STAR;
        case '/', '\u00f7' -> Type.SLASH;
        case '^' -> Type.CARET;
        case '%' -> Type.PERCENT;
        case '(' -> Type.LPAREN;
        case ')' -> Type.RPAREN;
        default -> throw new CalculationException("unexpected '" + c + "' at position " + (i + 1) + " in '" + s + "'");
      };
      if (type == Type.STAR && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        out.add(new Token(Type.CARET, null, "**", i));
        i += 2;
        continue;
      }
      out.add(new Token(type, null, String.valueOf(c), i));
      i++;
    }
    out.add(new Token(Type.END, null, "end", s.length()));
    return out;
  }
}
