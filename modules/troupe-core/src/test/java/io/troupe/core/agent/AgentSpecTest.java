package io.troupe.core.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentSpecTest {

  private static Config troupe(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve().getConfig("troupe");
  }

  @Test
  void theDefaultAgentComesFromTroupeAgent() {
    List<AgentSpec> agents = AgentSpec.allFromConfig(troupe("troupe.agent { system-prompt = \"be brief\", model = \"m1\", max-steps = 5 }"));
    assertEquals(1, agents.size());
    AgentSpec d = agents.get(0);
    assertEquals("default", d.name());
    assertEquals("be brief", d.instructions());
    assertEquals("m1", d.model().name());
    assertEquals("", d.model().provider());
    assertEquals(5, d.maxSteps());
    assertNull(d.tools(), "absent: every tool the guardrail allows");
    assertNull(d.outputSchema());
  }

  @Test
  void aNamedAgentHasEveryFieldOfDesignSection5() {
    List<AgentSpec> agents = AgentSpec.allFromConfig(troupe("""
        troupe.agents.support {
          description = "Answers questions about orders"
          instructions = "You are the support agent."
          model { provider = "openai", name = "gpt-4o-mini", temperature = 0.2, max-tokens = 1024 }
          tools = ["sql_query", "search_documents"]
          agents = ["billing"]
          handoffs = ["billing"]
          output-schema = \"\"\"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}\"\"\"
          memory { max-tokens = 4000, summarize = false }
          max-steps = 3
        }
        troupe.agents.billing { description = "Bills" }
        """));
    assertEquals(List.of("default", "billing", "support"), agents.stream().map(AgentSpec::name).toList());
    AgentSpec s = agents.get(2);
    assertEquals("Answers questions about orders", s.description());
    assertEquals("You are the support agent.", s.instructions());
    assertEquals(new AgentSpec.Model("openai", "gpt-4o-mini", 0.2, 1024), s.model());
    assertEquals(List.of("sql_query", "search_documents"), s.tools());
    assertEquals(List.of("billing"), s.agents());
    assertEquals(List.of("billing"), s.handoffs());
    assertEquals("string", s.outputSchema().json().path("properties").path("answer").path("type").asText());
    assertEquals(new AgentSpec.Memory(4000, false), s.memory());
    assertEquals(3, s.maxSteps());
    AgentSpec billing = agents.get(1);
    assertEquals(agents.get(0).instructions(), billing.instructions(), "left out: from default");
    assertEquals(agents.get(0).maxSteps(), billing.maxSteps());
    assertNull(billing.tools());
    assertTrue(new Agents(agents, false).problems(Set.of("sql_query", "search_documents")).isEmpty());
  }

  @Test
  void anOutputSchemaThatIsNotJsonSchemaNamesTheAgentAndTheField() {
    var e = assertThrows(IllegalArgumentException.class, () -> AgentSpec.allFromConfig(troupe(
        "troupe.agents.bad { output-schema = \"\"\"{\"type\":\"objekt\"}\"\"\" }")));
    assertTrue(e.getMessage().startsWith("agent 'bad': output-schema is not a valid JSON Schema"), e.getMessage());
    var notJson = assertThrows(IllegalArgumentException.class, () -> AgentSpec.allFromConfig(troupe(
        "troupe.agents.bad2 { output-schema = \"{nope\" }")));
    assertTrue(notJson.getMessage().startsWith("agent 'bad2': output-schema is not JSON"), notJson.getMessage());
    var wrongType = assertThrows(IllegalArgumentException.class, () -> AgentSpec.allFromConfig(troupe(
        "troupe.agents.bad3 { max-steps = lots }")));
    assertTrue(wrongType.getMessage().startsWith("agent 'bad3': max-steps"), wrongType.getMessage());
  }

  @Test
  void unknownToolsAgentsAndProvidersAreNamed() {
    List<AgentSpec> agents = List.of(
        AgentSpec.builder("default").build(),
        AgentSpec.builder("a").tools(List.of("calculator", "nope")).handoffs(List.of("ghost")).model("acme", "x").build());
    List<String> problems = new Agents(agents, false).problems(Set.of("calculator"));
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("agent 'a': tools: unknown tool 'nope'"), problems.get(0));
    assertTrue(problems.get(1).startsWith("agent 'a': handoffs: unknown agent 'ghost'"), problems.get(1));
    List<String> providers = Agents.providerProblems(agents, Set.of("local", "openai"));
    assertEquals(List.of("agent 'a': model.provider: unknown provider 'acme' (the providers are local, openai)"), providers);
  }

  @Test
  void anOutputSchemaValidatesAndKnowsWhetherOpenAiStrictModeFits() {
    OutputSchema loose = OutputSchema.parse("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},"
        + "\"required\":[\"answer\"]}");
    assertTrue(loose.validate(Json.parse("{\"answer\":\"42\"}")).isEmpty());
    assertFalse(loose.validate(Json.parse("{\"answer\":42}")).isEmpty());
    assertFalse(loose.validate(Json.parse("{}")).isEmpty());
    assertFalse(loose.strictCompatible(), "additionalProperties is not false");
    OutputSchema strict = OutputSchema.parse("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},"
        + "\"required\":[\"answer\"],\"additionalProperties\":false}");
    assertTrue(strict.strictCompatible());
  }

  @Test
  void javaAgentsAreDefinedWithABuilder() {
    AgentSpec a = AgentSpec.builder("summarizer").description("Summaries").instructions("Summarize.")
        .model("local", "").temperature(0.0).maxTokens(200).tools(List.of()).maxSteps(2)
        .outputSchema("{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"}}}").build();
    assertFalse(a.mayUse("calculator"), "an empty list allows no tool");
    Agents agents = new Agents(List.of(AgentSpec.builder("default").build()), false);
    agents.define(a);
    assertEquals(List.of("default", "summarizer"), agents.names());
    assertThrows(IllegalArgumentException.class, () -> AgentSpec.builder("no spaces").build());
    assertThrows(IllegalArgumentException.class, () -> AgentSpec.builder("x").outputSchema("[1]"));
  }

  @Test
  void anAgentOnAnotherProviderDoesNotInheritTheDefaultModelName() {
    List<AgentSpec> agents = AgentSpec.allFromConfig(troupe("""
        troupe.agent.model = "gpt-4o-mini"
        troupe.agents.claude.model.provider = "anthropic"
        troupe.agents.same.model.temperature = 0.5
        """));
    assertEquals("", agents.get(1).model().name(), "anthropic's own default");
    assertEquals("gpt-4o-mini", agents.get(2).model().name(), "same provider: the default agent's model");
    assertEquals(0.5, agents.get(2).model().temperature());
  }

  @Test
  void troupeAgentsDefaultOverridesWhatTroupeAgentGives() {
    List<AgentSpec> agents = AgentSpec.allFromConfig(troupe("""
        troupe.agent.system-prompt = "old"
        troupe.agents.default { instructions = "new", tools = ["calculator"] }
        """));
    assertEquals(1, agents.size());
    assertEquals("new", agents.get(0).instructions());
    assertEquals(List.of("calculator"), agents.get(0).tools());
  }
}
