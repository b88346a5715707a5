package io.troupe.bench.jmh;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;

/**
 * Reaches package-private code of Troupe that has no public entry point outside its actor
 * (guardrail checks, the session's event handler, argument validation), so that it can be
 * measured alone without changing it. The names are checked when a benchmark class loads: a
 * rename fails the benchmark at once, loudly.
 */
final class Internals {
  private Internals() {}

  static Class<?> type(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("benchmark out of date: no class " + name, e);
    }
  }

  /** A handle on {@code owner.name}, its parameter and return types widened to {@code as}. */
  static MethodHandle virtual(Class<?> owner, String name, MethodType declared, MethodType as) {
    try {
      return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVirtual(owner, name, declared).asType(as);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("benchmark out of date: no method " + owner.getName() + "." + name + declared, e);
    }
  }

  static MethodHandle statik(Class<?> owner, String name, MethodType declared, MethodType as) {
    try {
      return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findStatic(owner, name, declared).asType(as);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("benchmark out of date: no method " + owner.getName() + "." + name + declared, e);
    }
  }

  /** Calls a private constructor of {@code owner}. */
  static <T> T construct(Class<T> owner, Class<?>[] parameterTypes, Object... args) {
    try {
      Constructor<T> c = owner.getDeclaredConstructor(parameterTypes);
      c.setAccessible(true);
      return c.newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("benchmark out of date: cannot construct " + owner.getName(), e);
    }
  }
}
