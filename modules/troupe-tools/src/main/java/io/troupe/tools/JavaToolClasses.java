package io.troupe.tools;

import io.troupe.core.tools.Tool;
import io.troupe.tools.api.Tools;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/** Tools named by class in {@code troupe.tools.classes}: a Supplier of tools, or a class with @TroupeTool methods. */
final class JavaToolClasses {
  private JavaToolClasses() {}

  static List<Tool> load(List<String> classNames, ClassLoader loader) {
    List<Tool> out = new ArrayList<>();
    for (String name : classNames) {
      Object instance;
      try {
        instance = Class.forName(name, true, loader).getConstructor().newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        throw new IllegalArgumentException("troupe.tools.classes: cannot create '" + name + "': " + e, e);
      }
      if (instance instanceof Supplier<?> supplier) {
        Object tools = supplier.get();
        if (!(tools instanceof Collection<?> collection)) {
          throw new IllegalArgumentException("troupe.tools.classes: '" + name + "' must supply a Collection of Tool");
        }
        for (Object t : collection) {
          if (!(t instanceof Tool tool)) {
            throw new IllegalArgumentException("troupe.tools.classes: '" + name + "' supplied a " + t + ", not a Tool");
          }
          out.add(tool);
        }
      } else {
        out.addAll(Tools.fromObject(instance));
      }
    }
    return out;
  }
}
