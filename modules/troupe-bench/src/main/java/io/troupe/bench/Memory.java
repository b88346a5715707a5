package io.troupe.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory of this process: resident set from /proc/self/status, and the heap after a full GC. */
public final class Memory {
  private Memory() {}

  /** Peak resident set (VmHWM) in MiB, or -1 where /proc is missing. */
  public static double peakRssMiB() {
    return procStatusKb("VmHWM:") / 1024.0;
  }

  /** Current resident set (VmRSS) in MiB, or -1. */
  public static double rssMiB() {
    return procStatusKb("VmRSS:") / 1024.0;
  }

  /** Heap in use after System.gc() (twice, so that finalizable garbage goes too), in MiB. */
  public static double heapAfterGcMiB() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }

  /**
   * The least of five {@link #heapAfterGcMiB} half a second apart: what stays. Right after a run,
   * buffers still on their way out (the database's unsaved pages, a batch being written) can add tens
   * of MiB to a single reading.
   */
  public static double settledHeapAfterGcMiB() {
    double least = heapAfterGcMiB();
    for (int i = 0; i < 4; i++) {
      try {
        Thread.sleep(500); // blocking-ok: the benchmark driver's main thread, between measurements
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      least = Math.min(least, heapAfterGcMiB());
    }
    return least;
  }

  /** Open file descriptors of this process, or -1. */
  public static int openFds() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long procStatusKb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1024;
  }
}
