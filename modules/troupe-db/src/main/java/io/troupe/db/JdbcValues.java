package io.troupe.db;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Turns JDBC values into JSON-friendly Java values: String, Long, Double, BigDecimal, Boolean,
 * List, or null. Dates and times become ISO-8601 strings, binary data Base64.
 */
final class JdbcValues {
  private JdbcValues() {}

  static Object read(ResultSet rs, int column, int sqlType, String typeName) throws SQLException {
    String type = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    switch (sqlType) {
      case Types.DATE:
        return iso(rs.getObject(column, LocalDate.class));
      case Types.TIME:
        return type.equals("timetz") ? iso(rs.getObject(column, OffsetTime.class)) : iso(rs.getObject(column, LocalTime.class));
      case Types.TIME_WITH_TIMEZONE:
        return iso(rs.getObject(column, OffsetTime.class));
      case Types.TIMESTAMP:
        // PostgreSQL reports timestamptz as TIMESTAMP.
        return type.equals("timestamptz")
            ? iso(rs.getObject(column, OffsetDateTime.class))
            : iso(rs.getObject(column, LocalDateTime.class));
      case Types.TIMESTAMP_WITH_TIMEZONE:
        return iso(rs.getObject(column, OffsetDateTime.class));
      default:
        break;
    }
    if (type.equals("json") || type.equals("jsonb")) {
      return rs.getString(column);
    }
    return toJson(rs.getObject(column));
  }

  static Object toJson(Object value) throws SQLException {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof BigDecimal) {
      return value;
    }
    if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger big) {
      return new BigDecimal(big);
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? d : String.valueOf(d); // JSON has no NaN or Infinity
    }
    if (value instanceof Character || value instanceof java.util.UUID) {
      return value.toString();
    }
    if (value instanceof byte[] bytes) {
      return Base64.getEncoder().encodeToString(bytes);
    }
    if (value instanceof TemporalAccessor temporal) {
      return iso(temporal);
    }
    if (value instanceof java.sql.Timestamp ts) {
      return iso(ts.toLocalDateTime());
    }
    if (value instanceof java.sql.Date date) {
      return date.toLocalDate().toString();
    }
    if (value instanceof java.sql.Time time) {
      return iso(time.toLocalTime());
    }
    if (value instanceof Clob clob) {
      return clob.getSubString(1, (int) Math.min(Integer.MAX_VALUE, clob.length()));
    }
    if (value instanceof Blob blob) {
      return Base64.getEncoder().encodeToString(blob.getBytes(1, (int) Math.min(Integer.MAX_VALUE, blob.length())));
    }
    if (value instanceof Array array) {
      return toJson(array.getArray());
    }
    if (value instanceof Object[] items) {
      List<Object> list = new ArrayList<>(items.length);
      for (Object item : items) {
        list.add(toJson(item));
      }
      return list;
    }
    return value.toString(); // e.g. PostgreSQL interval, inet, other PGobjects
  }

  /** ISO-8601 with seconds always present (toString() drops ":00"). */
  static String iso(TemporalAccessor value) {
    if (value == null) {
      return null;
    }
    if (value instanceof LocalDateTime) {
      return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(value);
    }
    if (value instanceof OffsetDateTime) {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(value);
    }
    if (value instanceof LocalTime) {
      return DateTimeFormatter.ISO_LOCAL_TIME.format(value);
    }
    if (value instanceof OffsetTime) {
      return DateTimeFormatter.ISO_OFFSET_TIME.format(value);
    }
    return value.toString();
  }
}
