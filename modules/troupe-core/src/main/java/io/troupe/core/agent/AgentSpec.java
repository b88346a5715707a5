package io.troupe.core.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.GuardrailSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named agent: what it is told, which model it uses, which tools it may call, and the shape of its
 * answer. Defined in HOCON under {@code troupe.agents.<name>} (DESIGN.md §5) or in Java with
 * {@link #builder(String)}. The agent {@code default} is built from {@code troupe.agent}.
 *
 * @param name the agent's name: letters, digits, '-' and '_'
 * @param description for people and for {@code GET /v1/agents}
 * @param instructions the system prompt; empty for none
 * @param model the model it calls
 * @param tools the tools it may call; null for every tool the guardrail allows, empty for none
 * @param agents other agents it may call as tools ({@code agent_<name>}; see docs/agents.md)
 * @param handoffs agents it may hand the conversation to ({@code transfer_to_<name>})
 * @param outputSchema the JSON Schema of its final answer, or null for a text answer
 * @param memory how much of the session's history it sees (see {@code io.troupe.core.session.HistoryWindow})
 * @param maxSteps model calls per intent at most
 * @param policies guardrail policies that check this agent's intents, calls and answers, after the node's
 * @param budget tokens and cost per intent at most (0: {@code troupe.agent.max-tokens} / {@code max-cost-usd})
 */
public record AgentSpec(
    String name,
    String description,
    String instructions,
    Model model,
    List<String> tools,
    List<String> agents,
    List<String> handoffs,
    OutputSchema outputSchema,
    Memory memory,
    int maxSteps,
    List<GuardrailPolicy> policies,
    Budget budget) {

  public static final String DEFAULT = "default";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /**
   * The model of an agent.
   *
   * @param provider a provider of the gateway ({@code local}, {@code openai}, {@code anthropic} or a named
   *     one); empty for the gateway's primary provider
   * @param name the model name; empty for the provider's default
   * @param temperature null for the provider's default
   * @param maxTokens output tokens per model call at most; 0 for the provider's default
   */
  public record Model(String provider, String name, Double temperature, int maxTokens) {
    public Model {
      provider = provider == null ? "" : provider;
      name = name == null ? "" : name;
      if (maxTokens < 0) throw new IllegalArgumentException("model.max-tokens must not be negative");
    }
  }

  /**
   * @param maxTokens estimated history tokens a new intent sees at most (the newest whole turns that
   *     fit); 0: the session's message bound only ({@code troupe.agent.history-messages})
   * @param summarize with {@code maxTokens > 0}: older turns that fall out are summarised by the
   *     agent's model into one message before the window (a quarter of {@code maxTokens}); journaled
   */
  public record Memory(int maxTokens, boolean summarize) {
    public static final Memory NONE = new Memory(0, false);
  }

  /** Per intent, the run and the agents it calls: tokens and cost at most; 0 for the node's limit. */
  public record Budget(long maxTokens, double maxCostUsd) {
    public static final Budget NONE = new Budget(0, 0);

    public Budget {
      if (maxTokens < 0 || maxCostUsd < 0) throw new IllegalArgumentException("a budget must not be negative");
    }
  }

  public AgentSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("agent '" + name + "': the name must be 1 to 64 letters, digits, '-' or '_'");
    }
    description = description == null ? "" : description;
    instructions = instructions == null ? "" : instructions;
    model = model == null ? new Model("", "", null, 0) : model;
    tools = tools == null ? null : List.copyOf(tools);
    agents = agents == null ? List.of() : List.copyOf(agents);
    handoffs = handoffs == null ? List.of() : List.copyOf(handoffs);
    memory = memory == null ? Memory.NONE : memory;
    if (maxSteps < 1) throw new IllegalArgumentException("agent '" + name + "': max-steps must be at least 1");
    policies = policies == null ? List.of() : List.copyOf(policies);
    budget = budget == null ? Budget.NONE : budget;
  }

  /** Whether the agent may call {@code tool} (before the guardrail's own allow-list). */
  public boolean mayUse(String tool) {
    return tools == null || tools.contains(tool);
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A copy to change: {@code spec.toBuilder().tools(List.of("calculator")).build()}. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.description = description;
    b.instructions = instructions;
    b.model = model;
    b.tools = tools;
    b.agents = agents;
    b.handoffs = handoffs;
    b.outputSchema = outputSchema;
    b.memory = memory;
    b.maxSteps = maxSteps;
    b.policies = policies;
    b.budget = budget;
    return b;
  }

  /** Builds an agent in Java. Unset: no instructions, the primary provider's default model, every tool, 8 steps. */
  public static final class Builder {
    private String name;
    private String description = "";
    private String instructions = "";
    private Model model = new Model("", "", null, 0);
    private List<String> tools;
    private List<String> agents = List.of();
    private List<String> handoffs = List.of();
    private OutputSchema outputSchema;
    private Memory memory = Memory.NONE;
    private int maxSteps = 8;
    private List<GuardrailPolicy> policies = List.of();
    private Budget budget = Budget.NONE;

    private Builder(String name) {
      this.name = name;
    }

    public Builder description(String description) {
      this.description = description;
      return this;
    }

    public Builder instructions(String instructions) {
      this.instructions = instructions;
      return this;
    }

    public Builder model(String provider, String modelName) {
      this.model = new Model(provider, modelName, model.temperature(), model.maxTokens());
      return this;
    }

    public Builder model(Model model) {
      this.model = model;
      return this;
    }

    public Builder temperature(double temperature) {
      this.model = new Model(model.provider(), model.name(), temperature, model.maxTokens());
      return this;
    }

    public Builder maxTokens(int maxTokens) {
      this.model = new Model(model.provider(), model.name(), model.temperature(), maxTokens);
      return this;
    }

    /** The tools it may call; null for every tool the guardrail allows. */
    public Builder tools(List<String> tools) {
      this.tools = tools;
      return this;
    }

    public Builder agents(List<String> agents) {
      this.agents = agents;
      return this;
    }

    public Builder handoffs(List<String> handoffs) {
      this.handoffs = handoffs;
      return this;
    }

    /** @throws IllegalArgumentException when the text is not a valid JSON Schema */
    public Builder outputSchema(String jsonSchema) {
      try {
        this.outputSchema = jsonSchema == null ? null : OutputSchema.parse(jsonSchema);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("agent '" + name + "': output-schema " + e.getMessage(), e);
      }
      return this;
    }

    public Builder outputSchema(OutputSchema schema) {
      this.outputSchema = schema;
      return this;
    }

    public Builder memory(Memory memory) {
      this.memory = memory;
      return this;
    }

    public Builder maxSteps(int maxSteps) {
      this.maxSteps = maxSteps;
      return this;
    }

    /** Guardrail policies for this agent only, checked after the node's ({@code troupe.guardrail.policies}). */
    public Builder policies(List<GuardrailPolicy> policies) {
      this.policies = policies;
      return this;
    }

    public Builder policy(GuardrailPolicy policy) {
      List<GuardrailPolicy> more = new ArrayList<>(policies);
      more.add(policy);
      this.policies = more;
      return this;
    }

    public Builder budget(Budget budget) {
      this.budget = budget;
      return this;
    }

    public AgentSpec build() {
      return new AgentSpec(name, description, instructions, model, tools, agents, handoffs, outputSchema, memory,
          maxSteps, policies, budget);
    }
  }

  // HOCON

  /**
   * The agent {@code default} as {@code troupe.agent} describes it (its {@code system-prompt},
   * {@code model} and {@code max-steps}), with {@code troupe.agents.default} over it when present.
   */
  public static AgentSpec defaultFromConfig(Config troupe) {
    Config agent = troupe.getConfig("agent");
    AgentSpec base = builder(DEFAULT)
        .description("The built-in agent")
        .instructions(agent.getString("system-prompt"))
        .model(new Model("", agent.getString("model"), null, 0))
        .maxSteps(agent.getInt("max-steps"))
        .build();
    return troupe.hasPath("agents." + DEFAULT) ? fromConfig(DEFAULT, troupe.getConfig("agents." + DEFAULT), base, troupe) : base;
  }

  /**
   * Every agent of {@code troupe.agents}, and {@code default}. A key an agent leaves out comes from
   * {@code default}: the model, the instructions, memory and max-steps; its tools default to all, its
   * own policies and budget to none.
   *
   * @throws IllegalArgumentException naming the agent and the field of the first problem
   */
  public static List<AgentSpec> allFromConfig(Config troupe) {
    AgentSpec fallback = defaultFromConfig(troupe);
    List<AgentSpec> out = new ArrayList<>();
    out.add(fallback);
    if (!troupe.hasPath("agents")) return out;
    for (String name : troupe.getObject("agents").keySet().stream().sorted().toList()) {
      if (name.equals(DEFAULT)) continue;
      String path = "agents.\"" + name + "\"";
      if (troupe.getValue(path).valueType() != ConfigValueType.OBJECT) {
        throw new IllegalArgumentException("agent '" + name + "': troupe.agents." + name + " must be an object");
      }
      AgentSpec base = fallback.toBuilder().description("").tools(null).outputSchema((OutputSchema) null)
          .policies(List.of()).budget(Budget.NONE).build();
      out.add(fromConfig(name, troupe.getConfig(path), base, troupe));
    }
    return out;
  }

  /** One agent's section, over {@code base}. */
  static AgentSpec fromConfig(String name, Config c, AgentSpec base, Config troupe) {
    String field = "";
    try {
      Builder b = base.toBuilder();
      b.name = name;
      field = "description";
      if (c.hasPath(field)) b.description(c.getString(field));
      field = "instructions";
      if (c.hasPath(field)) b.instructions(c.getString(field));
      Model m = b.model;
      field = "model.provider";
      String provider = c.hasPath(field) ? c.getString(field) : m.provider();
      field = "model.name";
      // Another provider than the one inherited: its own default model, unless the agent names one.
      String inherited = provider.equals(m.provider()) ? m.name() : "";
      String modelName = c.hasPath(field) ? c.getString(field) : inherited;
      field = "model.temperature";
      Double temperature = c.hasPath(field) ? Double.valueOf(c.getDouble(field)) : m.temperature();
      if (temperature != null && (temperature < 0 || temperature > 2)) {
        throw new IllegalArgumentException("must be between 0 and 2");
      }
      field = "model.max-tokens";
      int maxTokens = c.hasPath(field) ? c.getInt(field) : m.maxTokens();
      if (maxTokens < 0) throw new IllegalArgumentException("must not be negative");
      b.model(new Model(provider, modelName, temperature, maxTokens));
      field = "tools";
      if (c.hasPath(field)) b.tools(c.getStringList(field));
      field = "agents";
      if (c.hasPath(field)) b.agents(c.getStringList(field));
      field = "handoffs";
      if (c.hasPath(field)) b.handoffs(c.getStringList(field));
      field = "output-schema";
      if (c.hasPath(field)) {
        // A string of JSON, as DESIGN.md §5 writes it, or the schema as a HOCON object.
        String text = c.getValue(field).valueType() == ConfigValueType.STRING ? c.getString(field)
            : c.getValue(field).render(com.typesafe.config.ConfigRenderOptions.concise());
        if (text != null && !text.isBlank()) {
          b.outputSchema(OutputSchema.parse(text));
        }
      }
      field = "memory.max-tokens";
      int memoryTokens = c.hasPath(field) ? c.getInt(field) : b.memory.maxTokens();
      if (memoryTokens < 0) throw new IllegalArgumentException("must not be negative");
      field = "memory.summarize";
      boolean summarize = c.hasPath(field) ? c.getBoolean(field) : b.memory.summarize();
      b.memory(new Memory(memoryTokens, summarize));
      field = "max-steps";
      if (c.hasPath(field)) {
        int steps = c.getInt(field);
        if (steps < 1) throw new IllegalArgumentException("must be at least 1");
        b.maxSteps(steps);
      }
      field = "policies";
      if (c.hasPath(field)) {
        List<GuardrailPolicy> own = new ArrayList<>();
        for (String className : c.getStringList(field)) own.add(GuardrailSettings.load(className, troupe));
        b.policies(own);
      }
      field = "budget.max-tokens";
      long budgetTokens = c.hasPath(field) ? c.getLong(field) : b.budget.maxTokens();
      if (budgetTokens < 0) throw new IllegalArgumentException("must not be negative");
      field = "budget.max-cost-usd";
      double budgetCost = c.hasPath(field) ? c.getDouble(field) : b.budget.maxCostUsd();
      if (budgetCost < 0) throw new IllegalArgumentException("must not be negative");
      b.budget(new Budget(budgetTokens, budgetCost));
      return b.build();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("agent '" + name + "': " + field + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      String message = e.getMessage() != null && e.getMessage().startsWith("agent '") ? e.getMessage()
          : "agent '" + name + "': " + field + " " + e.getMessage();
      throw new IllegalArgumentException(message, e);
    }
  }
}
