package io.troupe.tools.api;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.tools.ToolContext;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Defines tools in Java: {@link #builder(String)} for one tool with a handler, or
 * {@link #fromObject(Object)} for the {@link TroupeTool} methods of an object. Register the tools
 * with the registry at start-up ({@code ToolRegistryActor.create(..., tools)}) or at run time
 * ({@code ToolRegistry.Register}).
 *
 * <p>Parameter types map to JSON Schema: {@code String}, {@code char} → string; integral types →
 * integer; {@code float}/{@code double}/{@code BigDecimal} → number; {@code boolean} → boolean;
 * enums → string with {@code enum}; {@code List}/{@code Set}/arrays → array of the element's schema;
 * {@code Map<String, V>} → object of V; records → object of their components (all required);
 * {@code Optional<T>} → T, not required; {@code JsonNode} → any value.
 */
public final class Tools {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private Tools() {}

  /** Starts a builder for a tool named {@code name} (letters, digits, {@code _ . -}; at most 64). */
  public static ToolBuilder builder(String name) {
    return new ToolBuilder(name);
  }

  /** One tool per {@link TroupeTool} method (public, of the object's class). */
  public static List<LimitedTool> fromObject(Object target) {
    List<LimitedTool> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Method method : target.getClass().getMethods()) {
      TroupeTool annotation = method.getAnnotation(TroupeTool.class);
      if (annotation == null) continue;
      LimitedTool tool = fromMethod(target, method, annotation);
      if (!names.add(tool.spec().name())) {
        throw new IllegalArgumentException("two tools named '" + tool.spec().name() + "' in " + target.getClass().getName());
      }
      out.add(tool);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(target.getClass().getName() + " has no public @TroupeTool method");
    }
    out.sort((a, b) -> a.spec().name().compareTo(b.spec().name()));
    return List.copyOf(out);
  }

  /** The JSON Schema of a Java type, as used for tool parameters. */
  public static ObjectNode schemaOf(Type type) {
    return schema(type, new HashSet<>());
  }

  static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid tool name '" + name + "': use 1 to 64 letters, digits, '_', '.' or '-'");
    }
    return name;
  }

  private record Arg(String name, JavaType type, boolean context, boolean optional) {}

  private static LimitedTool fromMethod(Object target, Method method, TroupeTool annotation) {
    if (Modifier.isStatic(method.getModifiers()) && target == null) throw new IllegalArgumentException("no target");
    String name = checkName(annotation.name().isEmpty() ? method.getName() : annotation.name());
    ToolBuilder builder = builder(name).description(annotation.description()).effect(annotation.effect())
        .blocking(annotation.blocking())
        .timeout(annotation.timeoutMs() > 0 ? Duration.ofMillis(annotation.timeoutMs()) : null)
        .maxConcurrent(annotation.maxConcurrent()).maxQueue(annotation.maxQueue());
    List<Arg> args = new ArrayList<>();
    java.lang.reflect.Parameter[] parameters = method.getParameters();
    for (java.lang.reflect.Parameter p : parameters) {
      if (p.getType() == ToolContext.class) {
        args.add(new Arg(null, null, true, false));
        continue;
      }
      Param param = p.getAnnotation(Param.class);
      String argName = param != null && !param.name().isEmpty() ? param.name() : p.getName();
      if (!p.isNamePresent() && (param == null || param.name().isEmpty())) {
        throw new IllegalArgumentException("tool '" + name + "': compile with -parameters or name the parameter with @Param(name=...)");
      }
      Type type = p.getParameterizedType();
      boolean optional = p.getType() == Optional.class;
      Type valueType = optional ? typeArgument(type, 0) : type;
      boolean required = !optional && (param == null || param.required());
      if (!required && p.getType().isPrimitive()) {
        throw new IllegalArgumentException("tool '" + name + "': optional parameter '" + argName + "' must not be primitive");
      }
      builder.param(argName, schemaOf(valueType), param == null ? "" : param.description(), required);
      args.add(new Arg(argName, Json.MAPPER.getTypeFactory().constructType(valueType), false, optional));
    }
    method.setAccessible(true);
    ToolHandler handler = (json, context) -> {
      Object[] values = new Object[args.size()];
      for (int i = 0; i < values.length; i++) {
        Arg arg = args.get(i);
        if (arg.context()) {
          values[i] = context;
          continue;
        }
        JsonNode node = json.get(arg.name());
        Object value = node == null || node.isNull() ? null : convert(node, arg.type(), arg.name());
        values[i] = arg.optional() ? Optional.ofNullable(value) : value;
      }
      Object result;
      try {
        result = method.invoke(Modifier.isStatic(method.getModifiers()) ? null : target, values);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception ex) throw ex;
        throw new IllegalStateException(cause);
      }
      if (result instanceof CompletionStage<?> stage) {
        return stage.thenApply(Tools::toJson);
      }
      return CompletableFuture.completedFuture(toJson(result));
    };
    return builder.handler(handler).build();
  }

  private static Object convert(JsonNode node, JavaType type, String name) {
    try {
      return Json.MAPPER.convertValue(node, type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("argument '" + name + "' could not be read as " + type.getRawClass().getSimpleName());
    }
  }

  private static JsonNode toJson(Object value) {
    if (value == null) return NullNode.getInstance();
    if (value instanceof JsonNode node) return node;
    return Json.valueToTree(value);
  }

  private static Type typeArgument(Type type, int index) {
    if (type instanceof ParameterizedType p) return p.getActualTypeArguments()[index];
    return Object.class;
  }

  private static ObjectNode schema(Type type, Set<Type> seen) {
    Class<?> raw = rawClass(type);
    ObjectNode s = Json.object();
    if (raw == String.class || raw == CharSequence.class || raw == char.class || raw == Character.class) {
      return s.put("type", "string");
    }
    if (raw == int.class || raw == long.class || raw == short.class || raw == byte.class || raw == Integer.class
        || raw == Long.class || raw == Short.class || raw == Byte.class || raw == BigInteger.class) {
      return s.put("type", "integer");
    }
    if (raw == double.class || raw == float.class || raw == Double.class || raw == Float.class
        || raw == BigDecimal.class || raw == Number.class) {
      return s.put("type", "number");
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return s.put("type", "boolean");
    }
    if (raw.isEnum()) {
      s.put("type", "string");
      ArrayNode values = s.putArray("enum");
      for (Object constant : raw.getEnumConstants()) values.add(((Enum<?>) constant).name());
      return s;
    }
    if (JsonNode.class.isAssignableFrom(raw) || raw == Object.class) {
      return s; // any JSON value
    }
    if (raw == Optional.class) {
      return schema(typeArgument(type, 0), seen);
    }
    if (raw.isArray() || type instanceof GenericArrayType) {
      Type component = type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
      s.put("type", "array");
      s.set("items", schema(component, seen));
      return s;
    }
    if (Collection.class.isAssignableFrom(raw)) {
      s.put("type", "array");
      s.set("items", schema(typeArgument(type, 0), seen));
      if (Set.class.isAssignableFrom(raw)) s.put("uniqueItems", true);
      return s;
    }
    if (Map.class.isAssignableFrom(raw)) {
      Type key = typeArgument(type, 0);
      if (key != String.class && key != Object.class) {
        throw new IllegalArgumentException("unsupported parameter type " + type.getTypeName() + ": map keys must be String");
      }
      s.put("type", "object");
      s.set("additionalProperties", schema(typeArgument(type, 1), seen));
      return s;
    }
    if (raw.isRecord()) {
      if (!seen.add(raw)) {
        throw new IllegalArgumentException("unsupported parameter type " + raw.getName() + ": recursive records");
      }
      s.put("type", "object");
      ObjectNode props = s.putObject("properties");
      ArrayNode required = Json.array();
      for (RecordComponent c : raw.getRecordComponents()) {
        props.set(c.getName(), schema(c.getGenericType(), seen));
        if (c.getType() != Optional.class) required.add(c.getName());
      }
      if (!required.isEmpty()) s.set("required", required);
      s.put("additionalProperties", false);
      seen.remove(raw);
      return s;
    }
    throw new IllegalArgumentException("unsupported parameter type " + type.getTypeName()
        + ": use String, numbers, booleans, enums, List, Set, arrays, Map<String, V>, records, Optional or JsonNode");
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) return c;
    if (type instanceof ParameterizedType p) return (Class<?>) p.getRawType();
    if (type instanceof GenericArrayType) return Object[].class;
    return Object.class; // wildcards and type variables: any value
  }
}
