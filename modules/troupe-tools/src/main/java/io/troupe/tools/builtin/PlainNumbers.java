package io.troupe.tools.builtin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/** JSON numbers that print plain in JSON text: {@code 397.8} or {@code 0.0000001}, never with an exponent. */
final class PlainNumbers {
  private PlainNumbers() {}

  static JsonNode node(BigDecimal value) {
    if (value.scale() <= 0) {
      return value.toBigInteger().bitLength() < 63
          ? LongNode.valueOf(value.longValueExact())
          : BigIntegerNode.valueOf(value.toBigIntegerExact());
    }
    return new PlainDecimalNode(value);
  }

  /**
   * A decimal written with {@link BigDecimal#toPlainString()} by text generators (Jackson's own
   * DecimalNode uses {@code toString()}, which switches to an exponent for small values). Binary
   * formats such as CBOR still get a real decimal.
   */
  static final class PlainDecimalNode extends NumericNode {
    private static final long serialVersionUID = 1L;
    private final BigDecimal value;

    PlainDecimalNode(BigDecimal value) {
      this.value = value;
    }

    @Override
    public JsonToken asToken() {
      return JsonToken.VALUE_NUMBER_FLOAT;
    }

    @Override
    public JsonParser.NumberType numberType() {
      return JsonParser.NumberType.BIG_DECIMAL;
    }

    @Override
    public boolean isFloatingPointNumber() {
      return true;
    }

    @Override
    public boolean isBigDecimal() {
      return true;
    }

    @Override
    public Number numberValue() {
      return value;
    }

    @Override
    public int intValue() {
      return value.intValue();
    }

    @Override
    public long longValue() {
      return value.longValue();
    }

    @Override
    public double doubleValue() {
      return value.doubleValue();
    }

    @Override
    public BigDecimal decimalValue() {
      return value;
    }

    @Override
    public BigInteger bigIntegerValue() {
      return value.toBigInteger();
    }

    @Override
    public boolean canConvertToInt() {
      return value.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) >= 0
          && value.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
    }

    @Override
    public boolean canConvertToLong() {
      return value.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0
          && value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
    }

    @Override
    public String asText() {
      return value.toPlainString();
    }

    @Override
    public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
      if (g.canWriteFormattedNumbers()) {
        g.writeNumber(value.toPlainString());
      } else {
        g.writeNumber(value);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PlainDecimalNode other && other.value.compareTo(value) == 0;
    }

    @Override
    public int hashCode() {
      return value.stripTrailingZeros().hashCode();
    }
  }
}
