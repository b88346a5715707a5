package io.troupe.tools.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one parameter of a {@link TroupeTool} method. A parameter without it is required and
 * undescribed. The name comes from the compiled parameter name (compile with {@code -parameters})
 * unless {@link #name()} is given.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Param {
  /** The argument's name; the Java parameter's name when empty. */
  String name() default "";

  /** What the argument means, for the model. */
  String description() default "";

  /** Whether the model must give it; a missing optional argument arrives as null. */
  boolean required() default true;
}
