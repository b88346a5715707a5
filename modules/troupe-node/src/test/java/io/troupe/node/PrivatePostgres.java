package io.troupe.node;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of the test's own, so that a test may stop and start it: {@code initdb} in a
 * temporary directory, {@code pg_ctl} on a free port of 127.0.0.1, trust authentication. The
 * machine's own server is never touched. As root (initdb refuses root) it runs as the
 * {@code postgres} user. Without initdb and pg_ctl the test is skipped outside CI and fails in it.
 */
final class PrivatePostgres implements AutoCloseable {
  private final List<String> asUser;
  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private boolean running;

  private PrivatePostgres(List<String> asUser, Path bin, Path dir, int port) {
    this.asUser = asUser;
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
  }

  /** initdb and the first start; a skip (outside CI) when the binaries are missing. */
  static PrivatePostgres startOrSkip() throws Exception {
    Optional<Path> bin = findBinaries();
    if (bin.isEmpty()) {
      String reason = "initdb and pg_ctl were not found (TROUPE_PG_BIN, the PATH, /usr/lib/postgresql/*/bin)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(reason + "; CI needs them");
      Assumptions.assumeTrue(false, reason + "; skipping");
    }
    List<String> asUser = List.of();
    Path dir = Files.createTempDirectory("troupe-pg-");
    if ("root".equals(System.getProperty("user.name"))) {
      asUser = List.of("runuser", "-u", "postgres", "--");
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    PrivatePostgres pg = new PrivatePostgres(asUser, bin.get(), dir, freePort());
    pg.run(60, "initdb", "-D", pg.data.toString(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
    pg.start();
    return pg;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  int port() {
    return port;
  }

  void start() throws Exception {
    run(60, "pg_ctl", "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "30",
        "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off", "start");
    running = true;
  }

  /** A fast shutdown: open connections are cut, as when the server goes away. */
  void stop() throws Exception {
    run(60, "pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop");
    running = false;
  }

  @Override
  public void close() throws Exception {
    try {
      if (running) {
        run(60, "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "-t", "30", "stop");
        running = false;
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void run(int timeoutSeconds, String tool, String... args) throws Exception {
    List<String> command = new ArrayList<>(asUser);
    command.add(bin.resolve(tool).toString());
    command.addAll(Arrays.asList(args));
    Path log = Files.createTempFile("troupe-pg-cmd", ".log");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(tool + " did not finish in " + timeoutSeconds + " s: " + Files.readString(log));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(tool + " failed (" + p.exitValue() + "): " + Files.readString(log));
      }
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static Optional<Path> findBinaries() throws IOException {
    List<Path> candidates = new ArrayList<>();
    String configured = System.getenv("TROUPE_PG_BIN");
    if (configured != null && !configured.isBlank()) candidates.add(Path.of(configured));
    for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!entry.isEmpty()) candidates.add(Path.of(entry));
    }
    Path versions = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(versions)) {
      try (Stream<Path> each = Files.list(versions)) {
        each.map(v -> v.resolve("bin"))
            .sorted(Comparator.comparing(Path::toString).reversed())
            .forEach(candidates::add);
      }
    }
    return candidates.stream()
        .filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
        .map(PrivatePostgres::realDirectory)
        .findFirst();
  }

  /** The directory the binaries really are in (/usr/local/bin may hold links to them). */
  private static Path realDirectory(Path binDir) {
    try {
      return binDir.resolve("initdb").toRealPath().getParent();
    } catch (IOException e) {
      return binDir;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
