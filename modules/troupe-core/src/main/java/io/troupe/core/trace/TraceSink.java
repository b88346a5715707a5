package io.troupe.core.trace;

import java.util.List;
import java.util.Optional;

/**
 * Where the trace store writes finished intents behind, and reads them back once they have left
 * memory: a table of the node's database. Both methods may block; the store calls them off the
 * actors' threads.
 */
public interface TraceSink {

  /** Writes (inserts or replaces) the intents in one batch. */
  void write(List<StoredIntent> batch) throws Exception;

  /** The intent, or empty when the sink never got it. */
  Optional<StoredIntent> read(String intentId) throws Exception;

  /** Deletes every intent of the session ({@code DELETE /v1/sessions/{id}}); returns how many. */
  int deleteSession(String sessionId) throws Exception;
}
