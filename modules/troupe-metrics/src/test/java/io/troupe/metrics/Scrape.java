package io.troupe.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Prometheus text exposition, parsed into samples, for assertions (also used by troupe-http's tests). */
public final class Scrape {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)(\\s+\\S+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples = new ArrayList<>();

  public Scrape(String text) {
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = SAMPLE.matcher(line.trim());
      if (!m.matches()) throw new IllegalArgumentException("not a sample line: " + line);
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The samples of a metric whose labels include {@code labels}. */
  public List<Sample> of(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
  }

  /** The value of the one sample that matches; NaN when none does. */
  public double value(String name, Map<String, String> labels) {
    List<Sample> found = of(name, labels);
    if (found.size() > 1) throw new IllegalArgumentException(found.size() + " samples of " + name + labels + ": " + found);
    return found.isEmpty() ? Double.NaN : found.get(0).value();
  }

  public double value(String name, String... labels) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) m.put(labels[i], labels[i + 1]);
    return value(name, m);
  }
}
