package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node with a bad agent does not start, and says which agent and which field. */
class AgentConfigTest {

  private static void check(String hocon) {
    TroupeNode.checkAgents(ConfigFactory.parseString(hocon)
        .withFallback(NodeConfig.load(Map.of("troupe.data-dir", "/tmp/troupe-agent-config-test"))));
  }

  @Test
  void anUnknownProviderIsNamedWithItsAgentAndField() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> check("troupe.agents.support.model { provider = \"openia\", name = \"gpt-4o-mini\" }"));
    assertEquals("agent 'support': model.provider: unknown provider 'openia' (the providers are anthropic, local, openai)",
        e.getMessage());
  }

  @Test
  void anOutputSchemaThatIsNotJsonSchemaIsNamedWithItsAgentAndField() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> check("troupe.agents.support.output-schema = \"\"\"{\"type\":\"objekt\"}\"\"\""));
    assertEquals(true, e.getMessage().startsWith("agent 'support': output-schema is not a valid JSON Schema"),
        e.getMessage());
  }

  @Test
  void goodAgentsPass() {
    check("""
        troupe.agents.support {
          description = "Orders"
          model { provider = "local", temperature = 0.2, max-tokens = 256 }
          tools = ["calculator"]
          output-schema = \"\"\"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}\"\"\"
        }
        """);
  }
}
