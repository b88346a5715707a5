package io.troupe.tools.calc;

/** An expression that cannot be evaluated; the message says why, in words a model can act on. */
public final class CalculationException extends IllegalArgumentException {
  public CalculationException(String message) {
    super(message);
  }
}
