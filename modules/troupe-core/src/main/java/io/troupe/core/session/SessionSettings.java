package io.troupe.core.session;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of sessions and their agent loop, from {@code troupe.agent}.
 *
 * @param model the model name passed to the gateway, empty for the provider's default
 * @param maxSteps model calls per intent at most
 * @param maxAnswerAttempts answers the guardrail may deny before the run fails
 * @param systemPrompt the first message of every conversation
 * @param historyMessages how many earlier messages of the session a new intent sees
 * @param idleTimeout a session with no run, no listener and no request for this long is passivated
 */
public record SessionSettings(
    String model,
    boolean stream,
    int maxSteps,
    int maxAnswerAttempts,
    Duration modelTimeout,
    Duration toolTimeout,
    Duration guardrailTimeout,
    Duration subsystemTimeout,
    String systemPrompt,
    int historyMessages,
    Duration idleTimeout) {

  public static SessionSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("agent");
    return new SessionSettings(
        c.getString("model"),
        c.getBoolean("stream"),
        c.getInt("max-steps"),
        c.getInt("max-answer-attempts"),
        c.getDuration("model-timeout"),
        c.getDuration("tool-timeout"),
        c.getDuration("guardrail-timeout"),
        c.getDuration("subsystem-timeout"),
        c.getString("system-prompt"),
        c.getInt("history-messages"),
        c.getDuration("session-idle-timeout"));
  }
}
