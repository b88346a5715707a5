package io.troupe.vector;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's Java loader extracts its native libraries into a fresh {@code onnxruntime-java*}
 * directory of the system temp directory, and only marks the files and the directory for deletion at
 * exit, the directory first: at exit the directory is not empty yet, so every JVM that loaded it left
 * one behind (and a killed one left the libraries too, about 20 MB). Once the libraries are loaded
 * they are no longer needed on disk (Linux and macOS keep a loaded library's mapping), so this deletes
 * the directory right after the load.
 */
final class OnnxNativeTempDirectory {
  private static final Logger log = LoggerFactory.getLogger(OnnxNativeTempDirectory.class);

  private OnnxNativeTempDirectory() {}

  /** Deletes the directory the loader extracted into, if it can find it; never throws. */
  static void deleteAfterLoad() {
    Path dir = extractedInto();
    if (dir == null || !Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> deepestFirst = files.sorted(Comparator.reverseOrder()).toList();
      for (Path p : deepestFirst) {
        Files.deleteIfExists(p);
      }
      log.debug("deleted ONNX Runtime's extraction directory {}", dir);
    } catch (IOException | RuntimeException e) { // Windows keeps a loaded library locked: it stays until exit
      log.debug("could not delete ONNX Runtime's extraction directory {}: {}", dir, e.toString());
    }
  }

  /** {@code ai.onnxruntime.OnnxRuntime.tempDirectory}, a private static field of the loader. */
  private static Path extractedInto() {
    try {
      Field field = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
      field.setAccessible(true);
      Object value = field.get(null);
      return value instanceof Path p && p.getFileName().toString().startsWith("onnxruntime-java") ? p : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("ONNX Runtime's extraction directory is not where this version expected it: {}", e.toString());
      return null;
    }
  }
}
