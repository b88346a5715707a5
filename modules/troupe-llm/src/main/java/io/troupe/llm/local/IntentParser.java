package io.troupe.llm.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a request into sub-asks and matches each to a tool with extracted arguments. Rules, in
 * order of priority: recording an effect, time, schema, document search, database, arithmetic. A sub-ask that matches
 * a tool that was not offered stays unmatched, and remembers the tool it would have needed.
 */
final class IntentParser {

  enum Kind {
    EFFECT(ToolNames.RECORD_EFFECT),
    TIME(ToolNames.CURRENT_TIME),
    SCHEMA(ToolNames.DESCRIBE_SCHEMA),
    SEARCH(ToolNames.SEARCH_DOCUMENTS),
    SQL(ToolNames.SQL_QUERY),
    CALC(ToolNames.CALCULATOR);

    final String tool;

    Kind(String tool) {
      this.tool = tool;
    }
  }

  /** One part of the request; {@code kind} is null when no offered tool fits it. */
  record Ask(String text, Kind kind, ObjectNode arguments, String missingTool) {
    boolean matched() {
      return kind != null;
    }
  }

  private static final Pattern EXPLICIT_SQL = Pattern.compile(
      "(?is)\\bselect\\s+(?:distinct\\s+)?(?:\\*|count\\s*\\(\\s*\\*\\s*\\)(?:\\s+as\\s+\\w+)?|[\\w.\"]+(?:\\s*,\\s*[\\w.\"]+)*)"
          + "\\s+from\\s+[\\w.\"]+.*$");
  private static final Pattern SENTENCES = Pattern.compile("[?!;\\n]+|\\.(?:\\s+|$)");
  private static final Pattern CONJUNCTIONS = Pattern.compile(
      "(?i)\\s*,?\\s+and\\s+(?:then\\s+|also\\s+)?|\\s*,\\s*(?:then|also)\\s+"
          + "|,\\s+(?=(?:what|how|when|which|where|who|search|find|look|list|show|tell|give|calculate|compute|count)\\b)");

  private static final Pattern EFFECT_ASK = Pattern.compile("(?i)\\brecord\\s+(?:an?\\s+)?effect\\s+([\\w.:-]{1,100})");
  private static final Pattern TIME_ASK = Pattern.compile(
      "(?i)\\b(?:what(?:'s|\\s+is)?\\s+(?:the\\s+)?(?:current\\s+|local\\s+)?(?:time|date|day)\\b|time\\s+is\\s+it"
          + "|current\\s+(?:time|date)|local\\s+time|time\\s+(?:right\\s+)?now|time\\s+(?:in|at)\\s+\\S"
          + "|today'?s\\s+date|what\\s+day\\s+is\\s+(?:it|today))");
  private static final Pattern SCHEMA_ASK = Pattern.compile(
      "(?i)\\b(?:schema|what\\s+tables|which\\s+tables|(?:list|show)\\s+(?:the\\s+|all\\s+)?tables"
          + "|describe\\s+(?:the\\s+)?(?:database|db|tables))\\b");
  private static final String DOCS = "(?:documents?|documentation|docs|notes|knowledge\\s+base|files|manuals?|articles)\\b";
  private static final Pattern SEARCH_ASK = Pattern.compile(
      "(?i)\\b(?:search|look\\s+up|lookup|knowledge\\s+base|documents?|documentation|docs|notes|articles|manuals?)\\b"
          + "|\\bfind\\b.*\\b(?:about|on|regarding|mentioning|related\\s+to)\\b"
          + "|\\bwhat\\s+do(?:es)?\\s+(?:the|our|my)\\s+\\w+\\s+say\\b");
  private static final Pattern[] SEARCH_PREFIXES = {
    Pattern.compile("(?i)^(?:please\\s+|can\\s+you\\s+|could\\s+you\\s+)+"),
    Pattern.compile("(?i)^(?:summari[sz]e|explain|tell\\s+me\\s+about|what\\s+do\\s+we\\s+know\\s+about)\\s+"),
    Pattern.compile("(?i)^what\\s+do(?:es)?\\s+(?:the\\s+|our\\s+|my\\s+)?" + DOCS + "\\s+say\\s+(?:about|on|regarding)\\s+"),
    Pattern.compile("(?i)^(?:search|look\\s+up|lookup|find|query)\\s+(?:in\\s+|through\\s+)?(?:the\\s+|our\\s+|my\\s+)?"
        + "(?:" + DOCS + ")?\\s*(?:(?:for|about|on|regarding|mentioning|that\\s+mention|related\\s+to)\\b)?\\s*"),
  };
  private static final Pattern SEARCH_SUFFIX = Pattern.compile(
      "(?i)\\s+(?:(?:in|from)\\s+(?:the\\s+|our\\s+|my\\s+)?)?" + DOCS + "$");
  private static final Pattern COUNT_WORDS = Pattern.compile("(?i)\\b(?:how\\s+many|count|number\\s+of|total\\s+number)\\b");
  private static final Pattern LIST_WORDS = Pattern.compile(
      "(?i)\\b(?:list|show|display|give\\s+me|get|fetch|all|which|what\\s+are|database|db|sql|table|rows?)\\b");

  private final LocalSettings settings;
  private final List<Pattern> tables = new ArrayList<>();

  IntentParser(LocalSettings settings) {
    this.settings = settings;
    for (String table : settings.sqlTables()) {
      String singular = table.endsWith("s") ? table.substring(0, table.length() - 1) : table;
      tables.add(Pattern.compile("(?i)\\b" + Pattern.quote(singular) + "s?\\b"));
    }
  }

  List<Ask> parse(String intent, Set<String> offered) {
    List<Ask> asks = new ArrayList<>();
    String text = intent == null ? "" : intent.strip();
    // An SQL statement in the text stays whole: its "and" and ";" are not separators.
    String sql = null;
    Matcher explicit = EXPLICIT_SQL.matcher(text);
    if (explicit.find()) {
      sql = explicit.group().replaceAll("[;\\s]+$", "");
      text = text.substring(0, explicit.start());
    }
    text = ArithmeticExtractor.joinPairs(text);
    for (String sentence : SENTENCES.split(text)) {
      Ask previous = null;
      for (String piece : CONJUNCTIONS.split(sentence)) {
        String part = tidy(piece);
        if (part.isEmpty()) continue;
        Ask ask = classify(part, offered);
        if (!ask.matched() && previous != null && previous.matched()) {
          Ask continued = continueAsk(previous, part);
          if (continued != null && continued.kind() == Kind.SEARCH) {
            asks.set(asks.size() - 1, continued); // "search for cats and dogs": one query
            previous = continued;
            continue;
          }
          if (continued != null) ask = continued;
        }
        asks.add(ask);
        previous = ask;
      }
    }
    if (sql != null) {
      ObjectNode args = Json.object().put("sql", sql);
      asks.add(offered.contains(Kind.SQL.tool)
          ? new Ask(sql, Kind.SQL, args, null)
          : new Ask(sql, null, null, Kind.SQL.tool));
    }
    return asks;
  }

  private Ask classify(String part, Set<String> offered) {
    String missing = null;
    for (Kind kind : Kind.values()) {
      Optional<ObjectNode> args = arguments(kind, part);
      if (args.isEmpty()) continue;
      if (offered.contains(kind.tool)) return new Ask(part, kind, args.get(), null);
      if (missing == null) missing = kind.tool;
    }
    return new Ask(part, null, null, missing);
  }

  private Optional<ObjectNode> arguments(Kind kind, String part) {
    switch (kind) {
      case EFFECT: {
        Matcher m = EFFECT_ASK.matcher(part);
        return m.find() ? Optional.of(Json.object().put("label", m.group(1))) : Optional.empty();
      }
      case TIME:
        return TIME_ASK.matcher(part).find()
            ? Optional.of(Json.object().put("timezone", TimezoneExtractor.extract(part).orElse("UTC")))
            : Optional.empty();
      case SCHEMA:
        return SCHEMA_ASK.matcher(part).find() ? Optional.of(Json.object()) : Optional.empty();
      case SEARCH:
        return SEARCH_ASK.matcher(part).find() ? Optional.of(searchArguments(part)) : Optional.empty();
      case SQL:
        return sqlFor(part, null).map(sql -> Json.object().put("sql", sql));
      case CALC:
        return ArithmeticExtractor.extract(part).map(e -> Json.object().put("expression", e));
      default:
        return Optional.empty();
    }
  }

  /** A bare follow-up such as "and London" after a time ask, or "and orders" after a count. */
  private Ask continueAsk(Ask previous, String part) {
    switch (previous.kind()) {
      case SEARCH:
        String merged = previous.text() + " and " + part;
        return new Ask(merged, Kind.SEARCH, searchArguments(merged), null);
      case TIME:
        return TimezoneExtractor.extract(part)
            .map(zone -> new Ask(part, Kind.TIME, Json.object().put("timezone", zone), null))
            .orElse(null);
      case SQL:
        boolean count = previous.arguments().path("sql").asText().contains("COUNT(");
        return sqlFor(part, count)
            .map(sql -> new Ask(part, Kind.SQL, Json.object().put("sql", sql), null))
            .orElse(null);
      default:
        return null;
    }
  }

  /** The SQL template for a data question; {@code countMode} forces the mode of a follow-up. */
  private Optional<String> sqlFor(String part, Boolean countMode) {
    Matcher explicit = EXPLICIT_SQL.matcher(part);
    if (explicit.find() && countMode == null) {
      return Optional.of(explicit.group().replaceAll("[;\\s]+$", ""));
    }
    String table = null;
    int first = Integer.MAX_VALUE;
    for (int i = 0; i < tables.size(); i++) {
      Matcher m = tables.get(i).matcher(part);
      if (m.find() && m.start() < first) {
        first = m.start();
        table = settings.sqlTables().get(i);
      }
    }
    if (table == null) return Optional.empty();
    boolean count = countMode != null ? countMode : COUNT_WORDS.matcher(part).find();
    boolean list = countMode != null ? !countMode : LIST_WORDS.matcher(part).find();
    if (count) return Optional.of("SELECT COUNT(*) AS n FROM " + table);
    if (list) return Optional.of("SELECT * FROM " + table + " LIMIT " + settings.sqlListLimit());
    return Optional.empty();
  }

  private ObjectNode searchArguments(String part) {
    String q = part;
    for (Pattern prefix : SEARCH_PREFIXES) {
      q = prefix.matcher(q).replaceFirst("");
    }
    q = SEARCH_SUFFIX.matcher(q).replaceFirst("");
    q = q.replaceFirst("(?i)^(?:the|a|an|our|my)\\s+", "");
    q = q.replaceAll("^[\"'“”]+|[\"'“”]+$", "").strip();
    return Json.object().put("query", q.isEmpty() ? part : q).put("k", settings.searchK());
  }

  private static String tidy(String piece) {
    return piece.strip()
        .replaceFirst("(?i)^(?:and|also|then|please|so)\\s+", "")
        .replaceAll("[\\s,.!?:]+$", "")
        .strip();
  }
}
