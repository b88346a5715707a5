package io.troupe.llm.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ToolCall;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Writes the local planner's answers: from tool results, or a help text when nothing matched. */
final class AnswerWriter {
  private static final Pattern GROUP_DIGITS = Pattern.compile("(?<![\\d.])\\d{4,}(?!\\d)");
  private static final Pattern COUNT_TEMPLATE = Pattern.compile("(?i)^SELECT COUNT\\(\\*\\) AS n FROM (\\w+)$");
  private static final Pattern GREETING = Pattern.compile("(?i)^\\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\\b");
  private static final Pattern FILLER = Pattern.compile("(?i)^(?:thanks?(?: you)?|please|hi|hello|hey|ok(?:ay)?|cheers)$");
  private static final int MAX_HITS = 3;
  private static final int MAX_ROWS = 10;
  private static final int SNIPPET = 200;

  /** Whether an answer was rejected, and how many times: each time the answer gets plainer. */
  enum Tone {
    FULL,
    CONSERVATIVE,
    MINIMAL,
    REFUSAL;

    static Tone afterRejections(int rejections) {
      return values()[Math.min(rejections, 3)];
    }
  }

  String answer(
      List<ToolCall> calls, Map<String, ChatMessage> results, List<IntentParser.Ask> unmatched, Tone tone, boolean actionDenied) {
    if (tone == Tone.REFUSAL) {
      return "I cannot provide an answer to this request.";
    }
    if (tone == Tone.MINIMAL) {
      return calls.isEmpty()
          ? "I cannot answer that request."
          : "I ran the tools for this request, but I cannot show their results here.";
    }
    List<String> sentences = new ArrayList<>();
    for (ToolCall call : calls) {
      ChatMessage result = results.get(call.id());
      if (result == null) {
        sentences.add("I did not get a result from " + call.name() + ".");
        continue;
      }
      JsonNode content = parse(result.content());
      String error = errorOf(content);
      if (error != null) {
        sentences.add(tone == Tone.FULL
            ? "I could not run " + call.name() + ": " + sentence(error)
            : "I could not run " + call.name() + ".");
      } else {
        sentences.add(tone == Tone.FULL ? full(call, content) : conservative(call, content));
      }
    }
    if (actionDenied) {
      sentences.add("The guardrail did not allow some of the actions I proposed.");
    }
    if (tone == Tone.FULL) {
      for (IntentParser.Ask ask : unmatched) {
        if (ask.missingTool() != null) {
          sentences.add("I could not help with \"" + clip(ask.text(), 80) + "\": the " + ask.missingTool()
              + " tool is not available.");
        } else if (ask.text().split("\\s+").length >= 2 && !FILLER.matcher(ask.text()).matches()) {
          sentences.add("I could not help with \"" + clip(ask.text(), 80) + "\".");
        }
      }
    }
    if (sentences.isEmpty()) {
      return actionDenied || tone != Tone.FULL
          ? "The guardrail did not allow the action I planned for this request, so I cannot complete it."
          : "I have nothing to report for this request.";
    }
    return String.join(" ", sentences);
  }

  /** The answer when no tool fits the request: what the planner is and what it can do. */
  String help(String intent, List<IntentParser.Ask> asks, Set<String> offered) {
    StringBuilder b = new StringBuilder();
    if (intent != null && GREETING.matcher(intent).find()) {
      b.append("Hello! ");
    }
    b.append("I am Troupe's local planner, a rule-based stand-in for a language model, so I understand only a few"
        + " kinds of request. ");
    Set<String> missing = new LinkedHashSet<>();
    asks.stream().map(IntentParser.Ask::missingTool).filter(t -> t != null).forEach(missing::add);
    if (!missing.isEmpty()) {
      b.append("This request needs ").append(join(new ArrayList<>(missing)))
          .append(missing.size() == 1 ? ", which is" : ", which are").append(" not available here. ");
    }
    List<String> capabilities = capabilities(offered);
    if (capabilities.isEmpty()) {
      b.append("No tools are available in this conversation, so I cannot act on it.");
    } else {
      b.append("I can ").append(join(capabilities)).append('.');
    }
    return b.toString();
  }

  /** A short answer after a rejected direct answer. */
  String conservativeHelp(Set<String> offered) {
    List<String> capabilities = capabilities(offered);
    return capabilities.isEmpty()
        ? "I cannot help with this request."
        : "I can only help with requests like these: " + join(capabilities) + ".";
  }

  private static List<String> capabilities(Set<String> offered) {
    List<String> out = new ArrayList<>();
    if (offered.contains(ToolNames.CALCULATOR)) out.add("do arithmetic (\"What is 17% of 2,340?\")");
    if (offered.contains(ToolNames.CURRENT_TIME)) out.add("tell the time in a timezone (\"What time is it in Tokyo?\")");
    if (offered.contains(ToolNames.SEARCH_DOCUMENTS)) out.add("search the documents (\"Search the docs for refunds\")");
    if (offered.contains(ToolNames.SQL_QUERY)) out.add("answer questions about the database (\"How many customers are there?\")");
    if (offered.contains(ToolNames.DESCRIBE_SCHEMA)) out.add("describe the database schema");
    return out;
  }

  private String full(ToolCall call, JsonNode out) {
    JsonNode args = call.arguments() == null ? Json.object() : call.arguments();
    switch (call.name()) {
      case ToolNames.CALCULATOR: {
        String expression = out.path("expression").asText(args.path("expression").asText("the expression"));
        return groupDigits(expression) + " is " + number(out.path("result")) + ".";
      }
      case ToolNames.CURRENT_TIME:
        return "The current time in " + out.path("timezone").asText(args.path("timezone").asText("UTC")) + " is "
            + out.path("iso").asText("unknown") + ".";
      case ToolNames.SEARCH_DOCUMENTS: {
        String query = args.path("query").asText("");
        JsonNode hits = out.path("hits");
        if (!hits.isArray() || hits.isEmpty()) {
          return "I found no documents about \"" + query + "\".";
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < Math.min(MAX_HITS, hits.size()); i++) {
          JsonNode hit = hits.get(i);
          parts.add("\"" + clip(hit.path("text").asText(""), SNIPPET) + "\" (" + hit.path("id").asText("?") + ")");
        }
        return "The documents about \"" + query + "\" say: " + String.join("; ", parts) + ".";
      }
      case ToolNames.SQL_QUERY:
        return sqlSentence(args.path("sql").asText(""), out);
      case ToolNames.DESCRIBE_SCHEMA: {
        JsonNode tables = out.path("tables");
        if (!tables.isArray() || tables.isEmpty()) {
          return "The database schema has no tables.";
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode table : tables) {
          List<String> columns = new ArrayList<>();
          table.path("columns").forEach(c -> columns.add(c.path("name").asText()));
          parts.add(table.path("name").asText() + " (" + String.join(", ", columns) + ")");
        }
        return "The database has " + tables.size() + (tables.size() == 1 ? " table: " : " tables: ")
            + String.join("; ", parts) + ".";
      }
      default:
        return call.name() + " returned " + clip(out.toString(), 300) + ".";
    }
  }

  private String conservative(ToolCall call, JsonNode out) {
    switch (call.name()) {
      case ToolNames.CALCULATOR:
        return "The calculation gives " + number(out.path("result")) + ".";
      case ToolNames.CURRENT_TIME:
        return "The current time in " + out.path("timezone").asText("UTC") + " is " + out.path("iso").asText("unknown") + ".";
      case ToolNames.SEARCH_DOCUMENTS: {
        List<String> ids = new ArrayList<>();
        out.path("hits").forEach(h -> ids.add(h.path("id").asText("?")));
        return ids.isEmpty()
            ? "I found no matching documents."
            : "I found " + ids.size() + " matching document" + (ids.size() == 1 ? "" : "s") + " (" + String.join(", ", ids)
                + "); I have left out their text.";
      }
      case ToolNames.SQL_QUERY: {
        JsonNode rows = out.path("rows");
        if (rows.size() == 1 && rows.get(0).size() == 1) {
          return "The query returned " + value(rows.get(0).get(0)) + ".";
        }
        return "The query returned " + rows.size() + (rows.size() == 1 ? " row." : " rows.");
      }
      case ToolNames.DESCRIBE_SCHEMA:
        return "The database has " + out.path("tables").size() + " tables.";
      default:
        return "The " + call.name() + " tool returned a result.";
    }
  }

  private static String sqlSentence(String sql, JsonNode out) {
    JsonNode columns = out.path("columns");
    JsonNode rows = out.path("rows");
    if (!rows.isArray() || rows.isEmpty()) {
      return "The query returned no rows.";
    }
    if (rows.size() == 1 && rows.get(0).size() == 1) {
      Matcher count = COUNT_TEMPLATE.matcher(sql.strip());
      String v = value(rows.get(0).get(0));
      if (count.matches()) {
        String table = count.group(1);
        return "1".equals(v) ? "There is 1 row in " + table + "." : "There are " + v + " " + table + " in the database.";
      }
      return "The query returned " + columns.path(0).asText("a value") + " = " + v + ".";
    }
    StringBuilder b = new StringBuilder("The query returned ").append(rows.size()).append(rows.size() == 1 ? " row" : " rows");
    if (out.path("truncated").asBoolean(false)) {
      b.append(" (more were left out)");
    }
    b.append(':');
    for (int i = 0; i < Math.min(MAX_ROWS, rows.size()); i++) {
      List<String> cells = new ArrayList<>();
      JsonNode row = rows.get(i);
      for (int c = 0; c < row.size(); c++) {
        cells.add(columns.path(c).asText("col" + (c + 1)) + ": " + value(row.get(c)));
      }
      b.append("\n- ").append(String.join(", ", cells));
    }
    if (rows.size() > MAX_ROWS) {
      b.append("\n- ... and ").append(rows.size() - MAX_ROWS).append(" more");
    }
    return b.toString();
  }

  /** A number as plain text: {@code 397.8}, never {@code 3.978E2} nor {@code 397.80}. */
  static String number(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return "unknown";
    }
    if (node.isNumber()) {
      BigDecimal d = node.decimalValue().stripTrailingZeros();
      return d.signum() == 0 ? "0" : d.toPlainString();
    }
    String text = node.asText();
    try {
      BigDecimal d = new BigDecimal(text.strip()).stripTrailingZeros();
      return d.signum() == 0 ? "0" : d.toPlainString();
    } catch (NumberFormatException e) {
      return text;
    }
  }

  private static String value(JsonNode node) {
    if (node == null || node.isNull()) return "null";
    if (node.isNumber()) return number(node);
    return node.isValueNode() ? clip(node.asText(), 120) : clip(node.toString(), 120);
  }

  /** "17% of 2340" → "17% of 2,340". */
  static String groupDigits(String expression) {
    Matcher m = GROUP_DIGITS.matcher(expression);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, String.format(java.util.Locale.ROOT, "%,d", new java.math.BigInteger(m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static JsonNode parse(String content) {
    try {
      return Json.parse(content);
    } catch (IllegalArgumentException e) {
      return Json.MAPPER.getNodeFactory().textNode(content);
    }
  }

  private static String errorOf(JsonNode content) {
    if (content.isObject() && content.size() == 1 && content.has("error")) {
      JsonNode e = content.get("error");
      return e.isTextual() ? e.asText() : e.toString();
    }
    return null;
  }

  private static String sentence(String text) {
    String t = clip(text.strip(), 300);
    return t.endsWith(".") ? t : t + ".";
  }

  private static String clip(String text, int max) {
    String t = text.replaceAll("\\s+", " ").strip();
    return t.length() <= max ? t : t.substring(0, max).strip() + "...";
  }

  private static String join(List<String> items) {
    if (items.size() <= 1) return String.join("", items);
    return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
  }
}
