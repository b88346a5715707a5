package io.troupe.bench;

import java.util.List;
import java.util.Locale;

/** Horizontal bar charts as self-contained SVG, with no dependency. */
public final class Svg {
  private Svg() {}

  /** One bar: its label, its value, the text printed after it, and whether it missed its target. */
  public record Bar(String label, double value, String text, boolean bad) {}

  /**
   * @param target a vertical line at this value (e.g. a wall/ideal target), or NaN for none
   */
  public static String bars(String title, String axis, List<Bar> bars, double target, String targetLabel) {
    int labelW = 300;
    int plotW = 420;
    int row = 22;
    int top = 40;
    int h = top + bars.size() * row + 40;
    double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
    if (!Double.isNaN(target)) {
      max = Math.max(max, target);
    }
    max = max <= 0 ? 1 : max * 1.1;
    double min = bars.stream().mapToDouble(Bar::value).filter(v -> v > 0).min().orElse(1);
    // A log axis when the bars span more than 20x, so that small ratios stay visible.
    boolean log = max / min > 20;
    double floor = log ? Math.pow(10, Math.floor(Math.log10(min))) : 0;
    final double top0 = max;
    java.util.function.DoubleUnaryOperator scale = v -> log
        ? Math.max(0, Math.log10(Math.max(v, floor) / floor) / Math.log10(top0 / floor))
        : v / top0;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
        labelW + plotW + 160, h));
    s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", esc(title)));
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      int y = top + i * row;
      double w = Math.max(1, scale.applyAsDouble(b.value()) * plotW);
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", labelW - 8, y + 14, esc(b.label())));
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
          labelW, y + 3, w, row - 6, b.bad() ? "#d9534f" : "#4a90d9"));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n", labelW + w + 6, y + 14, esc(b.text())));
    }
    int axisY = top + bars.size() * row + 4;
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", labelW, axisY, labelW + plotW, axisY));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>%n",
        labelW, axisY + 16, log ? String.format(Locale.ROOT, "%.2g", floor) : "0", labelW + plotW, axisY + 16, max));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", labelW + plotW / 2, axisY + 30,
        esc(axis + (log ? " (log scale)" : ""))));
    if (!Double.isNaN(target)) {
      double x = labelW + scale.applyAsDouble(target) * plotW;
      s.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d9534f\" stroke-dasharray=\"4 3\"/>%n", x, top - 4, x, axisY));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#d9534f\" text-anchor=\"middle\">%s</text>%n",
          x, top - 8, esc(targetLabel)));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  public static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
