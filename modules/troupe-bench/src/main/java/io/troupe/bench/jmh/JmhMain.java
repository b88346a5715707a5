package io.troupe.bench.jmh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code bin/bench jmh [JMH options] [benchmark regex]}: JMH's own command line, with short
 * defaults for every option not given (one fork, 3 x 1 s warm-up, 5 x 1 s measurement, JSON
 * results in modules/troupe-bench/results/jmh.json). {@code bin/bench jmh -h} lists JMH's options.
 */
public final class JmhMain {
  private JmhMain() {}

  static final String RESULTS = "modules/troupe-bench/results/jmh.json";

  /** Option, default value; an option given on the command line replaces its default. */
  private static final String[][] DEFAULTS = {
      {"-f", "1"}, {"-wi", "3"}, {"-w", "1s"}, {"-i", "5"}, {"-r", "1s"}, {"-rf", "json"}, {"-rff", RESULTS}};

  private static final Set<String> FORK_JVM_OPTIONS = Set.of("-jvmArgs", "-jvmArgsAppend", "-jvmArgsPrepend");

  public static void main(String[] args) throws Exception {
    List<String> given = List.of(args);
    List<String> all = new ArrayList<>();
    for (String[] option : DEFAULTS) {
      if (!given.contains(option[0])) all.addAll(List.of(option));
    }
    // Forks inherit the driver's JVM options (bin/bench gives it -Xmx256m); the benchmarks get more room.
    if (given.stream().noneMatch(FORK_JVM_OPTIONS::contains)) all.addAll(List.of("-jvmArgsAppend", "-Xmx1g"));
    all.addAll(given);
    int rff = all.indexOf("-rff");
    if (rff >= 0 && rff + 1 < all.size()) {
      Path parent = Path.of(all.get(rff + 1)).toAbsolutePath().getParent();
      if (parent != null) Files.createDirectories(parent);
    }
    System.out.println("== jmh " + String.join(" ", all));
    org.openjdk.jmh.Main.main(all.toArray(String[]::new));
  }
}
