package io.troupe.bench;

/** Phase lines of the benchmark driver. */
public final class Log {
  private Log() {}

  public static void phase(String format, Object... args) {
    System.out.println("== " + String.format(java.util.Locale.ROOT, format, args));
    System.out.flush();
  }

  public static void info(String format, Object... args) {
    System.out.println("   " + String.format(java.util.Locale.ROOT, format, args));
    System.out.flush();
  }
}
