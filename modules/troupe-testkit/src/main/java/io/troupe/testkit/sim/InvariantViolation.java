package io.troupe.testkit.sim;

import java.util.List;

/**
 * A simulation broke an invariant. The message names the seed, the invariant, what broke it, and
 * the shortest prefix of the workload found to break it again, so a test can replay it with
 * {@link Simulation#runPrefix}.
 */
public final class InvariantViolation extends AssertionError {

  private final long seed;
  private final String invariant;
  private final List<SimEvent> prefix;

  InvariantViolation(long seed, String invariant, String detail, List<SimEvent> prefix, int originalLength) {
    super(message(seed, invariant, detail, prefix, originalLength));
    this.seed = seed;
    this.invariant = invariant;
    this.prefix = List.copyOf(prefix);
  }

  public long seed() {
    return seed;
  }

  /** The invariant's name, e.g. {@code no side effect runs twice}. */
  public String invariant() {
    return invariant;
  }

  /** The shortest event prefix found that breaks the invariant. */
  public List<SimEvent> prefix() {
    return prefix;
  }

  private static String message(long seed, String invariant, String detail, List<SimEvent> prefix, int originalLength) {
    StringBuilder sb = new StringBuilder()
        .append("invariant broken: ").append(invariant).append('\n')
        .append("  seed=").append(seed).append('\n')
        .append("  ").append(detail).append('\n')
        .append("  shortest reproducing prefix: ").append(prefix.size()).append(" of ").append(originalLength)
        .append(" events (replay: Simulation.runPrefix(").append(prefix.size()).append("))\n");
    int from = Math.max(0, prefix.size() - 40);
    if (from > 0) {
      sb.append("    ... ").append(from).append(" earlier events\n");
    }
    for (int i = from; i < prefix.size(); i++) {
      sb.append("    #").append(i).append(' ').append(prefix.get(i)).append('\n');
    }
    return sb.toString();
  }
}
