package io.troupe.http.intents;

import io.troupe.core.json.Json;
import io.troupe.core.session.EventStream;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.SessionEntity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * The server-sent events of one intent. The stream's actor subscribes to the session entity,
 * which sends every event after {@code afterSeq} and then {@link EventStream.Completed} once the
 * intent is terminal; that ends the stream. Frames are {@code id:}, {@code event:}, {@code data:}
 * lines; an idle stream gets a comment line every keep-alive interval. The stream subscribes with
 * the internal (tenant-qualified) intent id and shows the client's ids in every frame.
 */
public final class IntentEventsSse {
  private static final ByteString HEARTBEAT = ByteString.fromString(":\n\n");

  private IntentEventsSse() {}

  public static HttpResponse response(
      RecipientRef<SessionEntity.Command> session, String intentId, long afterSeq, int bufferSize, Duration keepAlive) {
    return response(session, intentId, intentId, UnaryOperator.identity(), afterSeq, bufferSize, keepAlive);
  }

  /**
   * @param shownId the intent id as the client knows it
   * @param shownIds turns an internal id in event data into the client's
   */
  public static HttpResponse response(
      RecipientRef<SessionEntity.Command> session,
      String intentId,
      String shownId,
      UnaryOperator<String> shownIds,
      long afterSeq,
      int bufferSize,
      Duration keepAlive) {
    return HttpResponse.create()
        .withHeaders(List.of(RawHeader.create("Cache-Control", "no-cache"), RawHeader.create("X-Accel-Buffering", "no")))
        .withEntity(HttpEntities.createChunked(
            ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM),
            source(session, intentId, shownId, shownIds, afterSeq, bufferSize, keepAlive)));
  }

  public static Source<ByteString, NotUsed> source(
      RecipientRef<SessionEntity.Command> session,
      String intentId,
      String shownId,
      UnaryOperator<String> shownIds,
      long afterSeq,
      int bufferSize,
      Duration keepAlive) {
    Source<EventStream.Message, ActorRef<EventStream.Message>> messages =
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
        .map(m -> frame(shownId, ((EventStream.Item) m).event(), shownIds))
        .keepAlive(keepAlive, () -> HEARTBEAT);
  }

  /** One event: {@code id: <seq>}, {@code event: <type>}, {@code data: <json on one line>}. */
  static ByteString frame(String intentId, IntentEvent e, UnaryOperator<String> shownIds) {
    return ByteString.fromString(
        "id: " + e.seq() + "\n"
            + "event: " + e.type() + "\n"
            + "data: " + Json.write(IntentJson.event(intentId, e, shownIds)) + "\n\n");
  }
}
