package io.troupe.core.trace;

import io.troupe.core.session.Step;

/**
 * Told by the {@link TraceStore} of what it records, so that metrics (and exporters) are derived from
 * the one recording of each intent instead of calls spread through the runtime. Both methods run on
 * the recording thread (the session entity's), so they must be quick, never block and never throw;
 * a listener that throws is logged and skipped, and the recording goes on.
 */
public interface TraceListener {

  /** A step (span) of a running intent ended; called even when the store drops it for its step bound. */
  default void stepEnded(String intentId, Step step) {}

  /** An intent ended: {@code intent} is as stored, its steps included. */
  default void intentFinished(StoredIntent intent) {}
}
