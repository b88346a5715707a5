package io.troupe.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one benchmark in a JVM of its own (same classpath), so that its peak RSS and heap are its
 * own, and its output lines are relayed as they come.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static Process start(String xmx, List<String> jvmFlags, List<String> args, Consumer<String> onLine) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    cmd.add("-Xmx" + xmx);
    cmd.add("-Xss512k");
    cmd.add("-XX:+UseG1GC");
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.add("-Dlogback.configurationFile=logback-bench.xml");
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BenchMain.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    Thread relay = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          onLine.accept(line);
        }
      } catch (IOException e) {
        // the child ended
      }
    }, "child-relay");
    relay.setDaemon(true);
    relay.start();
    return p;
  }

  /** Runs to the end (killed after timeoutSeconds); the exit code, or -1 when it had to be killed. */
  public static int run(String xmx, List<String> jvmFlags, List<String> args, long timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = start(xmx, jvmFlags, args, line -> {
      System.out.println("   | " + line);
      System.out.flush();
    });
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      Log.info("child JVM still running after %ds: killing it (pid %d)", timeoutSeconds, p.pid());
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      return -1;
    }
    return p.exitValue();
  }
}
