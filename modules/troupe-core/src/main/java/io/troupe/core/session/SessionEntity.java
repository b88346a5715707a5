package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;
import io.troupe.core.runtime.Subsystems;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * One conversation: an event-sourced entity under Cluster Sharding. It accepts intents, runs them
 * one at a time through an {@link AgentRun} child, journals every step, and serves reads, waits
 * and event streams.
 */
public final class SessionEntity {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Session");

  public interface Command extends CborSerializable {}

  /**
   * Accepts a new intent. Replies with the accepted intent (its id is assigned here), or with the
   * existing one when {@code idempotencyKey} was seen before in this session.
   */
  public record Submit(String text, JsonNode metadata, String idempotencyKey, ActorRef<StatusReply<IntentView>> replyTo)
      implements Command {}

  /** Replies with the intent, or an error {@code not_found: ...}. */
  public record Get(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /** Replies once the intent is terminal (at once if it already is), or {@code not_found}. */
  public record AwaitTerminal(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  /**
   * Streams the intent's events with a sequence number above {@code afterSeq} to the subscriber,
   * then {@link EventStream.Completed} once it is terminal (or {@link EventStream.NotFound}).
   */
  public record Subscribe(String intentId, long afterSeq, ActorRef<EventStream.Message> subscriber)
      implements Command {}

  /** Cancels a queued or running intent; {@code conflict} when already terminal. */
  public record Cancel(String intentId, ActorRef<StatusReply<IntentView>> replyTo) implements Command {}

  private SessionEntity() {}

  /** Starts sharding for sessions on this node; entities run their loop against {@code subsystems}. */
  public static void init(ActorSystem<?> system, Subsystems subsystems, SessionSettings settings) {
    SessionBehavior.initSharding(system, subsystems, settings);
  }
}
