package io.troupe.db;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The intent inbox on H2 files in a temporary directory. */
class H2JdbcIntentInboxTest extends JdbcIntentInboxContract {

  @TempDir Path tempDir;
  private final AtomicInteger fresh = new AtomicInteger();

  @Override
  protected Map<String, Object> freshDatabase() {
    return Map.of("troupe.data-dir", tempDir.resolve("inbox-" + fresh.incrementAndGet()).toString(),
        "troupe.database.demo-data", false);
  }
}
