package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every ask of the node's code goes through io.troupe.core.actor.Asks: Pekko's Java ask, and
 * ActorContext.ask, hand their callbacks to the JDK's common pool, which starts a thread per
 * callback on a machine of two cores.
 */
class AskDisciplineTest {

  private static final Pattern DIRECT_ASK =
      Pattern.compile("AskPattern\\.|getContext\\(\\)\\.ask(WithStatus)?\\(|\\bctx\\.ask(WithStatus)?\\(");

  @Test
  void noModuleAsksAroundAsks() throws IOException {
    Path modules = Path.of("..").toAbsolutePath().normalize();
    List<String> found = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> files = Files.walk(modules)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/main/java/"))
          .filter(p -> !p.toString().contains("/troupe-bench/")) // the benchmarks' drivers measure asks on purpose
          .filter(p -> !p.endsWith(Path.of("io/troupe/core/actor/Asks.java")))::iterator) {
        scanned++;
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          if (!line.trim().startsWith("import ") && !line.trim().startsWith("*") && DIRECT_ASK.matcher(line).find()) {
            found.add(modules.relativize(f) + ":" + (i + 1) + ": " + line.trim());
          }
        }
      }
    }
    assertTrue(scanned > 100, "the scan found the modules' sources (" + scanned + " files under " + modules + ")");
    assertEquals(List.of(), found, "asks outside io.troupe.core.actor.Asks");
  }
}
