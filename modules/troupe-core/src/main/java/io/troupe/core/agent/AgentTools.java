package io.troupe.core.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How other agents appear to a model: an agent of {@code agents} as the tool {@code agent_<name>},
 * an agent of {@code handoffs} as the tool {@code transfer_to_<name>}. Both take one string,
 * {@code input} (a handoff's is optional).
 */
public final class AgentTools {
  public static final String AGENT_PREFIX = "agent_";
  public static final String HANDOFF_PREFIX = "transfer_to_";

  private AgentTools() {}

  public static String toolName(String agent) {
    return AGENT_PREFIX + agent;
  }

  public static String handoffName(String agent) {
    return HANDOFF_PREFIX + agent;
  }

  /** The agent a tool name calls, or null when it is no agent tool. */
  public static String agentOf(String tool) {
    return tool != null && tool.startsWith(AGENT_PREFIX) && tool.length() > AGENT_PREFIX.length()
        ? tool.substring(AGENT_PREFIX.length()) : null;
  }

  public static boolean isAgentTool(String tool) {
    return agentOf(tool) != null;
  }

  /** The agent a handoff tool hands over to, or null. */
  public static String handoffTarget(String tool) {
    return tool != null && tool.startsWith(HANDOFF_PREFIX) && tool.length() > HANDOFF_PREFIX.length()
        ? tool.substring(HANDOFF_PREFIX.length()) : null;
  }

  public static ToolSpec asTool(AgentSpec agent) {
    ObjectNode params = Json.object().put("type", "object");
    params.putObject("properties").putObject("input").put("type", "string")
        .put("description", "What to ask the agent '" + agent.name() + "', in words");
    params.putArray("required").add("input");
    String about = agent.description().isBlank() ? "The agent '" + agent.name() + "'" : agent.description();
    return new ToolSpec(toolName(agent.name()), about + " (an agent: give it a request as input, it answers)", params);
  }

  public static ToolSpec asHandoff(AgentSpec agent) {
    ObjectNode params = Json.object().put("type", "object");
    params.putObject("properties").putObject("input").put("type", "string")
        .put("description", "Why the conversation is handed over (optional)");
    String about = agent.description().isBlank() ? "" : ": " + agent.description();
    return new ToolSpec(handoffName(agent.name()), "Hand the rest of the conversation over to the agent '"
        + agent.name() + "'" + about, params);
  }

  /** What the child agent is asked: the {@code input} argument, or the arguments as JSON. */
  public static String input(JsonNode arguments) {
    if (arguments == null || arguments.isNull()) return "";
    JsonNode input = arguments.get("input");
    if (input != null && input.isTextual()) return input.asText();
    return arguments.isTextual() ? arguments.asText() : arguments.toString();
  }

  /**
   * The session of the child intent of an agent call: derived from the call's idempotency key, so a
   * resumed parent finds the same child. It keeps the tenant prefix of the parent's intent id.
   */
  public static String childSession(String parentIntentId, String idempotencyKey) {
    int tenant = parentIntentId.lastIndexOf('~');
    String prefix = tenant < 0 ? "" : parentIntentId.substring(0, tenant + 1);
    return prefix + "agent-" + sha256(idempotencyKey).substring(0, 32);
  }

  /** The child intent's id: the first intent of its own session. */
  public static String childIntent(String parentIntentId, String idempotencyKey) {
    return childSession(parentIntentId, idempotencyKey) + ".1";
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
