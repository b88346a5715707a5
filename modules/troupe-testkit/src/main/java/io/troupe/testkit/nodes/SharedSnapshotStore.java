package io.troupe.testkit.nodes;

import com.typesafe.config.Config;
import java.util.Comparator;
import java.util.Optional;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;

/** The snapshot store beside {@link SharedJournal}: snapshots serialized by one node, loaded by another. */
public final class SharedSnapshotStore extends org.apache.pekko.persistence.snapshot.japi.SnapshotStore {

  private final SharedStore store;
  private final Serialization serialization;

  public SharedSnapshotStore(Config config) {
    this.store = SharedStore.named(config.getString("store"));
    this.serialization = SerializationExtension.get(context().system());
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    try {
      Optional<SelectedSnapshot> found = store.snapshots(persistenceId).stream()
          .filter(s -> criteria.matches(metadata(persistenceId, s)))
          .max(Comparator.comparingLong(SharedStore.StoredSnapshot::sequenceNr))
          .map(s -> SelectedSnapshot.create(metadata(persistenceId, s),
              serialization.deserialize(s.bytes(), s.serializerId(), s.manifest()).get()));
      return scala.concurrent.Future$.MODULE$.successful(found);
    } catch (RuntimeException e) {
      return scala.concurrent.Future$.MODULE$.failed(e);
    }
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    try {
      Serializer serializer = serialization.findSerializerFor(snapshot);
      store.saveSnapshot(metadata.persistenceId(), new SharedStore.StoredSnapshot(metadata.sequenceNr(),
          metadata.timestamp(), serializer.identifier(), Serializers.manifestFor(serializer, snapshot),
          serializer.toBinary(snapshot)));
      return scala.concurrent.Future$.MODULE$.successful(null);
    } catch (RuntimeException e) {
      return scala.concurrent.Future$.MODULE$.failed(e);
    }
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    store.deleteSnapshots(metadata.persistenceId(), s -> s.sequenceNr() == metadata.sequenceNr());
    return scala.concurrent.Future$.MODULE$.successful(null);
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    store.deleteSnapshots(persistenceId, s -> criteria.matches(metadata(persistenceId, s)));
    return scala.concurrent.Future$.MODULE$.successful(null);
  }

  private static SnapshotMetadata metadata(String persistenceId, SharedStore.StoredSnapshot s) {
    return SnapshotMetadata.apply(persistenceId, s.sequenceNr(), s.timestamp());
  }
}
