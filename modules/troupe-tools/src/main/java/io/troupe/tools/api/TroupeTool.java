package io.troupe.tools.api;

import io.troupe.core.tools.Tool;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a public method as a tool; {@link Tools#fromObject(Object)} turns every such method of an
 * object into a {@link Tool}. The parameters become the JSON Schema (see {@link Param}); the
 * method may return anything Jackson can write, or a {@code CompletionStage} of it, and may take a
 * {@link io.troupe.core.tools.ToolContext} parameter, which is not part of the schema.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface TroupeTool {
  /** The tool's name; the method's name when empty. */
  String name() default "";

  /** What the tool does, for the model. */
  String description();

  /** What the tool does to the world. */
  Tool.Effect effect() default Tool.Effect.READ_ONLY;

  /** Whether the method blocks (I/O, heavy CPU): then it runs on the tools' blocking dispatcher. */
  boolean blocking() default false;

  /** The call's timeout in milliseconds; 0 for the registry's default ({@code troupe.tools.timeout}). */
  long timeoutMs() default 0;

  /** Calls of this tool running at once at most; 0 for the registry's default. */
  int maxConcurrent() default 0;

  /** Calls waiting for a free slot at most; -1 for the registry's default. */
  int maxQueue() default -1;
}
