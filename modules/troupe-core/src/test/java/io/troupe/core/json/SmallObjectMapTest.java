package io.troupe.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmallObjectMapTest {

  @Test
  void behavesLikeAnInsertionOrderedMap() {
    SmallObjectMap small = new SmallObjectMap();
    Map<String, JsonNode> reference = new LinkedHashMap<>();
    // Past MAX_INLINE fields too, where it moves into a LinkedHashMap.
    for (int i = 0; i < 40; i++) {
      String key = "k" + (i * 7 % 23);
      assertEquals(reference.put(key, IntNode.valueOf(i)), small.put(key, IntNode.valueOf(i)));
      if (i % 5 == 0) assertEquals(reference.remove("k" + (i % 11)), small.remove("k" + (i % 11)));
      assertEquals(reference, small);
      assertEquals(new ArrayList<>(reference.keySet()), new ArrayList<>(small.keySet()));
      assertEquals(reference.hashCode(), small.hashCode());
    }
    small.clear();
    assertTrue(small.isEmpty());
    assertNull(small.get("k1"));
  }

  @Test
  void itsIteratorRemovesAndWritesThrough() {
    SmallObjectMap map = new SmallObjectMap();
    for (String k : List.of("a", "b", "c", "d")) map.put(k, TextNode.valueOf(k));
    Iterator<Map.Entry<String, JsonNode>> it = map.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("b") || e.getKey().equals("d")) it.remove();
      else e.setValue(TextNode.valueOf(e.getKey() + "!"));
    }
    assertEquals(List.of("a", "c"), new ArrayList<>(map.keySet()));
    assertEquals("a!", map.get("a").textValue());
    assertEquals("c!", map.get("c").textValue());
    assertFalse(map.containsKey("b"));
    Iterator<String> keys = map.keySet().iterator();
    keys.next();
    map.put("e", TextNode.valueOf("e"));
    assertThrows(ConcurrentModificationException.class, keys::next);
  }

  @Test
  void objectNodesOfTheSharedMapperUseItAndStayPlainJson() throws Exception {
    String text = "{\"b\":1,\"a\":{\"x\":[1,{\"y\":null}],\"z\":\"q\"},\"c\":true}";
    JsonNode compact = Json.parse(text);
    JsonNode plain = new ObjectMapper().readTree(text);
    assertEquals(plain, compact);
    assertEquals(compact, plain);
    assertEquals(text, compact.toString());
    ObjectNode built = Json.object().put("b", 1);
    built.putObject("a").put("z", "q").putArray("x").add(1).addObject().putNull("y");
    built.put("c", true);
    assertEquals(plain.get("a").get("x"), built.get("a").get("x"));
    assertEquals(compact.deepCopy(), compact);
    ((ObjectNode) compact).remove("a");
    assertEquals("{\"b\":1,\"c\":true}", compact.toString());
  }
}
