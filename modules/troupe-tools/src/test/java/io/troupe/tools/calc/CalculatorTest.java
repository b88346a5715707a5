package io.troupe.tools.calc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CalculatorTest {

  private static String eval(String expression) {
    return Calculator.evaluate(expression).toPlainString();
  }

  private static String error(String expression) {
    return assertThrows(CalculationException.class, () -> Calculator.evaluate(expression)).getMessage();
  }

  @Test
  void percentages() {
    assertEquals("397.8", eval("17% of 2,340"));
    assertEquals("397.8", eval("17% of 2340"));
    assertEquals("397.8", eval("17 percent of 2,340"));
    assertEquals("397.8", eval("2340 * 17 / 100"));
    assertEquals("12", eval("15% of 80"));
    assertEquals("0.5", eval("50%"));
    assertEquals("5", eval("(10%) of 50"));
  }

  @Test
  void basicsAndPrecedence() {
    assertEquals("22", eval("11 + 11"));
    assertEquals("42", eval("40 + 2"));
    assertEquals("14", eval("2 + 3 * 4"));
    assertEquals("20", eval("(2 + 3) * 4"));
    assertEquals("2", eval("10 - 4 - 4"));
    assertEquals("1", eval("8 / 4 / 2"));
    assertEquals("512", eval("2 ^ 3 ^ 2"));
    assertEquals("-4", eval("-2 ^ 2"));
    assertEquals("4", eval("(-2) ^ 2"));
    assertEquals("0.5", eval("2 ^ -1"));
    assertEquals("-1", eval("-(3 - 2)"));
    assertEquals("1", eval("10 % 3"));
    assertEquals("1", eval("10 mod 3"));
    assertEquals("0.3", eval("0.1 + 0.2"));
    assertEquals("2.5", eval(".5 * 5"));
    assertEquals("1000", eval("1e3"));
    assertEquals("1234567.5", eval("1,234,567 + 0.5"));
    assertEquals("8", eval("2 ** 3"));
    assertEquals("12", eval("3 x 4"));
    assertEquals("7", eval("10 minus 3"));
    assertEquals("2.5", eval("10 divided by 4"));
    assertEquals("6", eval("2 multiplied by 3"));
  }

  @Test
  void resultsArePlainAndRounded() {
    assertEquals("0.333333333333", eval("1 / 3"));
    assertEquals("0.666666666667", eval("2 / 3"));
    assertEquals("100", eval("50 * 2"));
    assertEquals("0", eval("5 - 5"));
    assertEquals("0.0000001", eval("1 / 10000000"));
    assertEquals("1.414213562373", eval("2 ^ 0.5"));
    assertEquals("18446744073709551616", eval("2 ^ 64"));
  }

  @Test
  void errorsSayWhatIsWrong() {
    assertEquals("division by zero", error("1 / 0"));
    assertEquals("division by zero (modulo 0)", error("1 mod 0"));
    assertEquals("missing ')' at the end of '(1 + 2'", error("(1 + 2"));
    assertEquals("unexpected ')' at position 6 in '1 + 2)'", error("1 + 2)"));
    assertEquals("the expression '2 +' ends where a number was expected", error("2 +"));
    assertEquals("unexpected '3' at position 3 in '2 3'", error("2 3"));
    assertTrue(error("2 + banana").startsWith("unknown word 'banana'"));
    assertEquals("the expression is empty", error("  "));
    assertEquals("unexpected ',' at position 2 in '1,2'", error("1,2"));
    assertTrue(error("10 ^ 100000").contains("too large"));
    assertTrue(error("(-8) ^ 0.5").contains("fractional power"));
  }
}
