package io.troupe.testkit.nodes;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A journal plugin over a {@link SharedStore}: the nodes of a {@link TestNodes} write and replay
 * one journal. Each event is serialized with the writing node's serializers and deserialized with
 * the reading node's, so what crosses nodes is what a database would carry. Plugin config: {@code
 * store} names the store.
 */
public final class SharedJournal extends org.apache.pekko.persistence.journal.japi.AsyncWriteJournal {

  private final SharedStore store;
  private final Serialization serialization;

  public SharedJournal(Config config) {
    this.store = SharedStore.named(config.getString("store"));
    this.serialization = SerializationExtension.get(context().system());
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    for (AtomicWrite write : messages) {
      try {
        List<SharedStore.StoredEvent> batch = new ArrayList<>();
        for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
          Object payload = repr.payload();
          Set<String> tags = Set.of();
          if (payload instanceof Tagged t) {
            tags = Set.copyOf(CollectionConverters.asJava(t.tags()));
            payload = t.payload();
          }
          Serializer serializer = serialization.findSerializerFor(payload);
          byte[] bytes = serializer.toBinary(payload);
          batch.add(new SharedStore.StoredEvent(repr.sequenceNr(), Serializers.manifestFor(serializer, payload),
              serializer.identifier(), bytes, repr.writerUuid(), tags, payload));
        }
        store.append(write.persistenceId(), batch);
        results.add(Optional.empty());
      } catch (Exception e) {
        results.add(Optional.of(e));
      }
    }
    return scala.concurrent.Future$.MODULE$.successful(results);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    store.deleteTo(persistenceId, toSequenceNr);
    return scala.concurrent.Future$.MODULE$.successful(null);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replay) {
    try {
      for (SharedStore.StoredEvent e : store.read(persistenceId, fromSequenceNr, toSequenceNr, max)) {
        Object payload = serialization.deserialize(e.bytes(), e.serializerId(), e.manifest()).get();
        replay.accept(PersistentRepr.apply(payload, e.sequenceNr(), persistenceId, "", false,
            org.apache.pekko.actor.ActorRef.noSender(), e.writerUuid()));
      }
      return scala.concurrent.Future$.MODULE$.successful(null);
    } catch (RuntimeException ex) {
      return scala.concurrent.Future$.MODULE$.failed(ex);
    }
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return scala.concurrent.Future$.MODULE$.successful(store.highestSequenceNr(persistenceId));
  }
}
