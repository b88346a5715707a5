package io.troupe.llm.local;

import java.time.ZoneId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds a timezone in a sentence: an IANA id, UTC/GMT with an offset, an abbreviation or a city. */
final class TimezoneExtractor {
  private static final Pattern IANA = Pattern.compile("\\b[A-Za-z]+(?:[_-][A-Za-z]+)*/[A-Za-z]+(?:[_-][A-Za-z]+)*(?:/[A-Za-z_]+)?\\b");
  private static final Pattern UTC = Pattern.compile("(?i)\\b(UTC|GMT)(?:\\s*([+-])\\s*(\\d{1,2})(?::?(\\d{2}))?)?(?![\\w])");
  private static final Pattern ABBREVIATION = Pattern.compile("\\b(EST|EDT|CST|CDT|MST|MDT|PST|PDT|CET|CEST|BST|JST|IST|AEST|AEDT)\\b");

  private static final Map<String, String> IANA_BY_LOWER = new HashMap<>();
  private static final Map<String, String> ABBREVIATIONS = Map.ofEntries(
      Map.entry("EST", "America/New_York"), Map.entry("EDT", "America/New_York"),
      Map.entry("CST", "America/Chicago"), Map.entry("CDT", "America/Chicago"),
      Map.entry("MST", "America/Denver"), Map.entry("MDT", "America/Denver"),
      Map.entry("PST", "America/Los_Angeles"), Map.entry("PDT", "America/Los_Angeles"),
      Map.entry("CET", "Europe/Berlin"), Map.entry("CEST", "Europe/Berlin"),
      Map.entry("BST", "Europe/London"), Map.entry("JST", "Asia/Tokyo"), Map.entry("IST", "Asia/Kolkata"),
      Map.entry("AEST", "Australia/Sydney"), Map.entry("AEDT", "Australia/Sydney"));
  /** Multi-word names first, so that "new york" wins over "york". */
  private static final Map<Pattern, String> CITIES = new LinkedHashMap<>();

  static {
    for (String id : ZoneId.getAvailableZoneIds()) {
      IANA_BY_LOWER.put(id.toLowerCase(Locale.ROOT), id);
    }
    String[][] cities = {
      {"new york", "America/New_York"}, {"los angeles", "America/Los_Angeles"}, {"san francisco", "America/Los_Angeles"},
      {"hong kong", "Asia/Hong_Kong"}, {"sao paulo", "America/Sao_Paulo"}, {"são paulo", "America/Sao_Paulo"},
      {"mexico city", "America/Mexico_City"}, {"buenos aires", "America/Argentina/Buenos_Aires"},
      {"tokyo", "Asia/Tokyo"}, {"london", "Europe/London"}, {"paris", "Europe/Paris"}, {"berlin", "Europe/Berlin"},
      {"sydney", "Australia/Sydney"}, {"melbourne", "Australia/Melbourne"}, {"madrid", "Europe/Madrid"},
      {"rome", "Europe/Rome"}, {"moscow", "Europe/Moscow"}, {"beijing", "Asia/Shanghai"}, {"shanghai", "Asia/Shanghai"},
      {"singapore", "Asia/Singapore"}, {"mumbai", "Asia/Kolkata"}, {"delhi", "Asia/Kolkata"}, {"kolkata", "Asia/Kolkata"},
      {"dubai", "Asia/Dubai"}, {"toronto", "America/Toronto"}, {"vancouver", "America/Vancouver"},
      {"chicago", "America/Chicago"}, {"denver", "America/Denver"}, {"seattle", "America/Los_Angeles"},
      {"boston", "America/New_York"}, {"amsterdam", "Europe/Amsterdam"}, {"brussels", "Europe/Brussels"},
      {"zurich", "Europe/Zurich"}, {"vienna", "Europe/Vienna"}, {"stockholm", "Europe/Stockholm"},
      {"oslo", "Europe/Oslo"}, {"copenhagen", "Europe/Copenhagen"}, {"helsinki", "Europe/Helsinki"},
      {"dublin", "Europe/Dublin"}, {"lisbon", "Europe/Lisbon"}, {"warsaw", "Europe/Warsaw"}, {"prague", "Europe/Prague"},
      {"athens", "Europe/Athens"}, {"istanbul", "Europe/Istanbul"}, {"kyiv", "Europe/Kiev"}, {"kiev", "Europe/Kiev"},
      {"cairo", "Africa/Cairo"}, {"johannesburg", "Africa/Johannesburg"}, {"lagos", "Africa/Lagos"},
      {"nairobi", "Africa/Nairobi"}, {"seoul", "Asia/Seoul"}, {"bangkok", "Asia/Bangkok"}, {"jakarta", "Asia/Jakarta"},
      {"manila", "Asia/Manila"}, {"auckland", "Pacific/Auckland"}, {"honolulu", "Pacific/Honolulu"},
    };
    for (String[] c : cities) {
      CITIES.put(Pattern.compile("\\b" + Pattern.quote(c[0]) + "\\b", Pattern.UNICODE_CASE), c[1]);
    }
  }

  private TimezoneExtractor() {}

  /** The zone named in the sentence, if any. */
  static Optional<String> extract(String sentence) {
    Matcher iana = IANA.matcher(sentence);
    while (iana.find()) {
      String id = IANA_BY_LOWER.get(iana.group().toLowerCase(Locale.ROOT));
      if (id != null) return Optional.of(id);
    }
    Matcher utc = UTC.matcher(sentence);
    if (utc.find()) {
      String base = utc.group(1).toUpperCase(Locale.ROOT);
      if (utc.group(2) == null) return Optional.of(base);
      int hours = Integer.parseInt(utc.group(3));
      int minutes = utc.group(4) == null ? 0 : Integer.parseInt(utc.group(4));
      if (hours <= 18 && minutes < 60) {
        return Optional.of(String.format(Locale.ROOT, "%s%s%02d:%02d", base, utc.group(2), hours, minutes));
      }
    }
    Matcher abbreviation = ABBREVIATION.matcher(sentence);
    if (abbreviation.find()) {
      return Optional.of(ABBREVIATIONS.get(abbreviation.group(1)));
    }
    String lower = sentence.toLowerCase(Locale.ROOT);
    for (Map.Entry<Pattern, String> city : CITIES.entrySet()) {
      if (city.getKey().matcher(lower).find()) {
        return Optional.of(city.getValue());
      }
    }
    return Optional.empty();
  }
}
