package io.troupe.core.vector;

import io.troupe.core.CborSerializable;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/** Protocol of the vector store subsystem (implemented in troupe-vector). */
public final class VectorStore {
  private VectorStore() {}

  public interface Command {}

  /** A document to index. Metadata values are strings so that they can be filtered on. */
  public record Document(String id, String text, Map<String, String> metadata)
      implements CborSerializable {
    public Document {
      metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
  }

  public record Hit(String id, double score, String text, Map<String, String> metadata)
      implements CborSerializable {}

  /** Inserts or replaces documents by id; durable (committed) when the reply arrives. */
  public record Upsert(List<Document> documents, ActorRef<StatusReply<Upserted>> replyTo)
      implements Command, CborSerializable {}

  public record Upserted(List<String> ids) implements CborSerializable {}

  /** Nearest documents to the query text; {@code filter} keeps hits whose metadata match exactly. */
  public record Search(String query, int k, Map<String, String> filter, ActorRef<StatusReply<SearchResult>> replyTo)
      implements Command, CborSerializable {}

  public record SearchResult(List<Hit> hits) implements CborSerializable {}

  public record Delete(String id, ActorRef<StatusReply<Deleted>> replyTo) implements Command, CborSerializable {}

  public record Deleted(String id, boolean existed) implements CborSerializable {}
}
