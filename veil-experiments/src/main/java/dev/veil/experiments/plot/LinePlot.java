package dev.veil.experiments.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart over categorical x positions (for example ε = 0.5 … 16, ∞), or a scatter of labelled points over a
 * numeric x axis ({@link #scatter}: the privacy frontier), drawn once through {@link Canvas} and written both as PNG
 * (Java2D) and as SVG (text written here, no library).
 */
public final class LinePlot {
    private static final int W = 720, H = 440, LEFT = 70, RIGHT = 170, TOP = 40, BOTTOM = 60;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};
    private static final Color GREY = new Color(0x777777);

    /** One line; NaN values are gaps; a dashed line is a reference (grey, no markers). */
    public record Series(String name, double[] y, boolean dashed) {}

    /** One labelled point of a scatter; {@code note} (the legend's second line) may be empty; hollow: drawn as a ring. */
    public record Point(String name, double x, double y, String note, boolean hollow) {}

    private final String title, xLabel, yLabel;
    private final List<String> xTicks;
    private final double yMin, yMax;
    private final List<Series> series = new ArrayList<>();
    private final List<Point> points = new ArrayList<>();
    private double xMin, xMax;

    public LinePlot(String title, String xLabel, String yLabel, List<String> xTicks, double yMin, double yMax) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.xTicks = List.copyOf(xTicks);
        this.yMin = yMin;
        this.yMax = yMax;
    }

    /** A scatter over x in [xMin, xMax]: add its points with {@link #point}. */
    public static LinePlot scatter(String title, String xLabel, String yLabel, double xMin, double xMax, double yMin, double yMax) {
        var plot = new LinePlot(title, xLabel, yLabel, List.of(), yMin, yMax);
        plot.xMin = xMin;
        plot.xMax = xMax;
        return plot;
    }

    public LinePlot point(String name, double x, double y, String note, boolean hollow) {
        if (xMax <= xMin) throw new IllegalArgumentException("points go on a scatter (LinePlot.scatter)");
        points.add(new Point(name, x, y, note, hollow));
        return this;
    }

    public LinePlot add(String name, double[] y, boolean dashed) {
        if (y.length != xTicks.size()) throw new IllegalArgumentException("series " + name + " needs " + xTicks.size() + " values");
        series.add(new Series(name, y, dashed));
        return this;
    }

    public void writePng(Path file) throws IOException {
        var image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        draw(new Java2DCanvas(g));
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    public void writeSvg(Path file) throws IOException {
        var svg = new SvgCanvas();
        draw(svg);
        Files.writeString(file, svg.finish(), StandardCharsets.UTF_8);
    }

    /** The smallest of 1, 2, 2.5, 5 × 10^k that cuts the range into at most 8 steps. */
    static double niceStep(double range) {
        double base = Math.pow(10, Math.floor(Math.log10(range / 8)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (range / (m * base) <= 8) return m * base;
        return 10 * base;
    }

    private double px(int i) {
        int n = xTicks.size();
        return LEFT + (n == 1 ? 0.5 : (double) i / (n - 1)) * (W - LEFT - RIGHT);
    }

    private double py(double v) {
        return TOP + (1 - (v - yMin) / (yMax - yMin)) * (H - TOP - BOTTOM);
    }

    private void draw(Canvas c) {
        Color axis = new Color(0x333333), grid = new Color(0xdddddd);
        c.text(W / 2.0 - RIGHT / 2.0 + LEFT / 2.0, 24, title, 15, axis, "middle", true);
        double step = niceStep(yMax - yMin);
        for (double v = Math.ceil(yMin / step - 1e-9) * step; v <= yMax + 1e-9; v += step) {
            double y = py(v);
            c.line(LEFT, y, W - RIGHT, y, grid, 1, false);
            c.text(LEFT - 8, y + 4, String.format(Locale.ROOT, "%.2f", v), 11, axis, "end", false);
        }
        for (int i = 0; i < xTicks.size(); i++) {
            c.line(px(i), H - BOTTOM, px(i), H - BOTTOM + 5, axis, 1, false);
            c.text(px(i), H - BOTTOM + 19, xTicks.get(i), 11, axis, "middle", false);
        }
        if (xMax > xMin) {
            double xStep = niceStep(xMax - xMin);
            for (double v = Math.ceil(xMin / xStep - 1e-9) * xStep; v <= xMax + 1e-9; v += xStep) {
                c.line(pxValue(v), H - BOTTOM, pxValue(v), H - BOTTOM + 5, axis, 1, false);
                c.text(pxValue(v), H - BOTTOM + 19, String.format(Locale.ROOT, "%.2f", v), 11, axis, "middle", false);
            }
        }
        c.line(LEFT, TOP, LEFT, H - BOTTOM, axis, 1, false);
        c.line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, axis, 1, false);
        c.text((LEFT + W - RIGHT) / 2.0, H - 16, xLabel, 12, axis, "middle", false);
        c.verticalText(18, (TOP + H - BOTTOM) / 2.0, yLabel, 12, axis);
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            Color color = line.dashed() ? GREY : PALETTE[s % PALETTE.length];
            for (int i = 0; i + 1 < line.y().length; i++) {
                if (Double.isNaN(line.y()[i]) || Double.isNaN(line.y()[i + 1])) continue;
                c.line(px(i), py(line.y()[i]), px(i + 1), py(line.y()[i + 1]), color, 2, line.dashed());
            }
            if (!line.dashed()) {
                for (int i = 0; i < line.y().length; i++) if (!Double.isNaN(line.y()[i])) c.dot(px(i), py(line.y()[i]), 3.5, color);
            }
            double ly = TOP + 14 + 20 * s;
            c.line(W - RIGHT + 14, ly - 4, W - RIGHT + 38, ly - 4, color, 2, line.dashed());
            c.text(W - RIGHT + 44, ly, line.name(), 12, axis, "start", false);
        }
        for (int k = 0; k < points.size(); k++) {
            Point p = points.get(k);
            Color color = PALETTE[k % PALETTE.length];
            double x = pxValue(Math.min(p.x(), xMax)), y = py(Math.min(Math.max(p.y(), yMin), yMax));
            c.dot(x, y, 5, color);
            if (p.hollow()) c.dot(x, y, 3, Color.WHITE);
            c.text(x + 8, y - 6, p.name(), 11, axis, "start", false);
            double ly = TOP + 14 + 42 * k;
            c.dot(W - RIGHT + 20, ly - 4, 4.5, color);
            if (p.hollow()) c.dot(W - RIGHT + 20, ly - 4, 2.5, Color.WHITE);
            c.text(W - RIGHT + 30, ly, p.name(), 11, axis, "start", true);
            List<String> note = wrap(p.note(), 25, 2);
            for (int i = 0; i < note.size(); i++) c.text(W - RIGHT + 30, ly + 11 + 10 * i, note.get(i), 9, axis, "start", false);
        }
    }

    /** At most {@code lines} lines of at most {@code width} characters, cut at spaces; an ellipsis when more is left. */
    static List<String> wrap(String text, int width, int lines) {
        List<String> out = new ArrayList<>();
        String rest = text.strip();
        while (!rest.isEmpty() && out.size() < lines) {
            int cut = rest.length() <= width ? rest.length() : rest.lastIndexOf(' ', width);
            if (cut <= 0) cut = Math.min(width, rest.length());
            out.add(rest.substring(0, cut));
            rest = rest.substring(cut).strip();
        }
        if (!rest.isEmpty()) {
            String last = out.getLast();
            out.set(out.size() - 1, (last.length() >= width ? last.substring(0, width - 1) : last) + "…");
        }
        return out;
    }

    private double pxValue(double v) {
        return LEFT + (v - xMin) / (xMax - xMin) * (W - LEFT - RIGHT);
    }

    /** What the chart is drawn on. */
    private interface Canvas {
        void line(double x1, double y1, double x2, double y2, Color color, float width, boolean dashed);

        void dot(double x, double y, double r, Color color);

        /** anchor: start, middle or end. */
        void text(double x, double y, String s, int size, Color color, String anchor, boolean bold);

        void verticalText(double x, double y, String s, int size, Color color);
    }

    private static final class Java2DCanvas implements Canvas {
        private final Graphics2D g;

        Java2DCanvas(Graphics2D g) {
            this.g = g;
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, Color color, float width, boolean dashed) {
            g.setColor(color);
            g.setStroke(dashed ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10, new float[] {6, 4}, 0)
                    : new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(new java.awt.geom.Line2D.Double(x1, y1, x2, y2));
        }

        @Override
        public void dot(double x, double y, double r, Color color) {
            g.setColor(color);
            g.fill(new java.awt.geom.Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
        }

        @Override
        public void text(double x, double y, String s, int size, Color color, String anchor, boolean bold) {
            g.setColor(color);
            g.setFont(new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, size));
            int w = g.getFontMetrics().stringWidth(s);
            double dx = switch (anchor) {
                case "middle" -> -w / 2.0;
                case "end" -> -w;
                default -> 0;
            };
            g.drawString(s, (float) (x + dx), (float) y);
        }

        @Override
        public void verticalText(double x, double y, String s, int size, Color color) {
            var saved = g.getTransform();
            g.rotate(-Math.PI / 2, x, y);
            text(x, y, s, size, color, "middle", false);
            g.setTransform(saved);
        }
    }

    private static final class SvgCanvas implements Canvas {
        private final StringBuilder sb = new StringBuilder();

        SvgCanvas() {
            sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                    .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" font-family=\"sans-serif\">\n")
                    .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, Color color, float width, boolean dashed) {
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>%n",
                    x1, y1, x2, y2, hex(color), width, dashed ? " stroke-dasharray=\"6 4\"" : " stroke-linecap=\"round\""));
        }

        @Override
        public void dot(double x, double y, double r, Color color) {
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n", x, y, r, hex(color)));
        }

        @Override
        public void text(double x, double y, String s, int size, Color color, String anchor, boolean bold) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" text-anchor=\"%s\"%s>%s</text>%n",
                    x, y, size, hex(color), anchor, bold ? " font-weight=\"bold\"" : "", escape(s)));
        }

        @Override
        public void verticalText(double x, double y, String s, int size, Color color) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n",
                    x, y, size, hex(color), x, y, escape(s)));
        }

        String finish() {
            return sb.append("</svg>\n").toString();
        }

        private static String hex(Color c) {
            return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
        }

        private static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
