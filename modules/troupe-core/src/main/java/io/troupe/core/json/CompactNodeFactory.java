package io.troupe.core.json;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Jackson's node factory, with JSON objects kept in a {@link SmallObjectMap}. */
public final class CompactNodeFactory extends JsonNodeFactory {
  private static final long serialVersionUID = 1L;

  public static final CompactNodeFactory INSTANCE = new CompactNodeFactory();

  private CompactNodeFactory() {
    super(false);
  }

  @Override
  public ObjectNode objectNode() {
    return new ObjectNode(this, new SmallObjectMap());
  }
}
