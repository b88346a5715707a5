package io.troupe.core.session;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of sessions and their agent loop, from {@code troupe.agent} (and the guardrail's settings a
 * session applies itself, from {@code troupe.guardrail}). Read once per node.
 *
 * @param model the model name passed to the gateway, empty for the provider's default
 * @param maxSteps model calls per intent at most
 * @param maxAnswerAttempts answers the guardrail may deny before the run fails
 * @param systemPrompt the first message of every conversation
 * @param historyMessages how many earlier messages of the session a new intent sees
 * @param idleTimeout a session with no run, no listener and no request for this long is passivated
 * @param deadline the longest an intent may run
 * @param maxTokens input plus output tokens per intent at most, 0 for no limit
 * @param maxCostUsd cost per intent at most, 0 for no limit
 * @param busyPolicy what a session does with an intent that arrives while another runs
 * @param maxResumes how often a run that its node stopped resumes from the journal; 0: it ends interrupted
 * @param recentIntents finished intents whose summary a session keeps in memory; older ones are read from the trace store
 * @param idempotencyWindow idempotency keys a session remembers
 * @param snapshotEvery a snapshot of the session every this many journal events; 0: none
 * @param maxAgentDepth how deep agents may call agents
 * @param streamWindowChars a streamed answer is checked every this many new characters
 * @param streamHoldBackChars what passed the stream's check is released less this many characters
 * @param approvalTimeout how long a call waits for a person's decision
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
    Duration idleTimeout,
    Duration deadline,
    long maxTokens,
    double maxCostUsd,
    BusyPolicy busyPolicy,
    int maxResumes,
    int recentIntents,
    int idempotencyWindow,
    int snapshotEvery,
    int maxAgentDepth,
    int streamWindowChars,
    int streamHoldBackChars,
    Duration approvalTimeout) {

  /** What a session does with an intent that arrives while another one runs. */
  public enum BusyPolicy {
    /** Run it after the ones before it (the default). */
    ENQUEUE,
    /** Refuse it: {@code conflict}, 409 over HTTP. */
    REJECT,
    /** Cancel the running intent (and drop the queued ones), then run it. */
    INTERRUPT
  }

  public static SessionSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("agent");
    Config guardrail = troupe.getConfig("guardrail");
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
        c.getDuration("session-idle-timeout"),
        c.getDuration("deadline"),
        c.getLong("max-tokens"),
        c.getDouble("max-cost-usd"),
        BusyPolicy.valueOf(c.getString("busy-policy").toUpperCase(java.util.Locale.ROOT)),
        c.getInt("max-resumes"),
        c.getInt("recent-intents"),
        c.getInt("idempotency-window"),
        c.getInt("snapshot-every"),
        c.getInt("max-agent-depth"),
        guardrail.getInt("stream-window-chars"),
        guardrail.getInt("stream-hold-back-chars"),
        guardrail.getDuration("approval-timeout"));
  }
}
