package io.troupe.core.vector;

import io.troupe.core.CborSerializable;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/** Protocol of the vector store subsystem (implemented in troupe-vector). */
public final class VectorStore {
  private VectorStore() {}

  /**
   * The metadata key that names a document's tenant. The ingress sets it on every document of a
   * tenant and adds it to every search of one; clients cannot set or filter on it themselves.
   */
  public static final String TENANT_KEY = "troupe.tenant";

  public interface Command {}

  /** A document to index. Metadata values are strings so that they can be filtered on. */
  public record Document(String id, String text, Map<String, String> metadata)
      implements CborSerializable {
    public Document {
      metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
  }

  /**
   * One matching chunk of a document: {@code id} is the document's id, {@code text} the chunk's
   * text, {@code start} and {@code end} its character offsets in the document's text (end
   * exclusive) and {@code chunk} its index (0 for a document that fits one chunk).
   */
  public record Hit(String id, double score, String text, Map<String, String> metadata, int chunk, int start, int end)
      implements CborSerializable {

    /** A hit on a whole, unchunked text. */
    public Hit(String id, double score, String text, Map<String, String> metadata) {
      this(id, score, text, metadata, 0, 0, text == null ? 0 : text.length());
    }
  }

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

  /**
   * Deletes every document whose metadata match {@code filter} exactly (at least one key), as one
   * {@link Delete} each; used to erase a session's documents ({@code DELETE /v1/sessions/{id}}).
   */
  public record DeleteWhere(Map<String, String> filter, ActorRef<StatusReply<DeletedWhere>> replyTo)
      implements Command, CborSerializable {}

  /** The ids of the documents deleted. */
  public record DeletedWhere(List<String> ids) implements CborSerializable {}
}
