package io.troupe.testkit.sim;

/** One step of a generated workload. A simulation applies them in order and checks invariants after each. */
public sealed interface SimEvent {

  /** A client submits intent number {@code n} to session {@code session}. */
  record Submit(int session, int n, String text) implements SimEvent {}

  /** A client cancels intent number {@code n} (if it was accepted). */
  record Cancel(int session, int n) implements SimEvent {}

  /** The session's node crashes: the entity stops, then starts again from the same journal. */
  record Crash(int session) implements SimEvent {}

  /**
   * A person decides the approval intent {@code n} asks for (its transfer): at once if it was
   * asked already, else as soon as it is. An intent with an approval and no decision times out.
   */
  record Decide(int session, int n, boolean approve) implements SimEvent {}

  /** A whole node dies (its actor system terminates) and a new one takes its place; its sessions move to the next node. */
  record NodeCrash(int node) implements SimEvent {}

  /** Virtual time passes. */
  record Advance(long millis) implements SimEvent {}

  /** The driver waits (advancing virtual time) until every accepted intent has ended. */
  record Settle() implements SimEvent {}
}
