package io.troupe.http.intents;

import io.troupe.core.json.Json;
import io.troupe.core.session.EventStream;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.SessionEntity;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * The server-sent events of one intent. The stream's actor subscribes to the session entity,
 * which sends every event after {@code afterSeq} and then {@link EventStream.Completed} once the
 * intent is terminal; that ends the stream.
 */
public final class IntentEventsSse {
  private IntentEventsSse() {}

  public static Source<ServerSentEvent, NotUsed> source(
      RecipientRef<SessionEntity.Command> session,
      String intentId,
      long afterSeq,
      int bufferSize,
      Duration keepAlive) {
    Source<EventStream.Message, org.apache.pekko.actor.typed.ActorRef<EventStream.Message>> messages =
        ActorSource.actorRef(
            m -> m instanceof EventStream.Completed || m instanceof EventStream.NotFound,
            m -> Optional.empty(),
            bufferSize,
            OverflowStrategy.fail());
    return messages
        .mapMaterializedValue(subscriber -> {
          session.tell(new SessionEntity.Subscribe(intentId, afterSeq, subscriber));
          return NotUsed.notUsed();
        })
        .filter(m -> m instanceof EventStream.Item)
        .map(m -> toSse(intentId, ((EventStream.Item) m).event()))
        .keepAlive(keepAlive, ServerSentEvent::heartbeat);
  }

  static ServerSentEvent toSse(String intentId, IntentEvent e) {
    return ServerSentEvent.create(
        Json.write(IntentJson.event(intentId, e)), e.type(), Long.toString(e.seq()));
  }
}
