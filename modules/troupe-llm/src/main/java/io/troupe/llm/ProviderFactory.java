package io.troupe.llm;

import com.typesafe.config.Config;
import io.troupe.core.llm.LlmProvider;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Builds a named provider from the {@code troupe.llm} config. The gateway calls it on every Init,
 * so a provider that failed to build is built again on the next attempt.
 */
@FunctionalInterface
public interface ProviderFactory {

  /** Builds the provider; throws with a short, secret-free reason when it cannot. */
  LlmProvider create(ActorSystem<?> system, Config llm) throws Exception;
}
