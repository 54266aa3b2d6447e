package dev.veil.experiments.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plots the reports write: a PNG and an SVG of the same lines, gaps where a value is missing, the reference dashed. */
class LinePlotTest {
    @TempDir Path dir;

    static LinePlot plot() {
        return new LinePlot("TRA <&> m", "m / d_in", "TRA (%)", List.of("1/4", "1/2", "3/4"), 0, 100)
                .add("null-space", new double[] {100, 100, 100}, false)
                .add("token-infer", new double[] {4, Double.NaN, 6}, false)
                .add("prior (floor)", new double[] {5, 5, 5}, true);
    }

    @Test
    void svgHoldsEveryLineButTheMissingOnesAndEscapesText() throws Exception {
        plot().writeSvg(dir.resolve("p.svg"));
        String svg = Files.readString(dir.resolve("p.svg"));
        assertTrue(svg.startsWith("<svg"), svg);
        assertTrue(svg.contains("TRA &lt;&amp;&gt; m") && !svg.contains("TRA <&> m"), "title escaped");
        for (String name : new String[] {"null-space", "token-infer", "prior (floor)", "1/4", "3/4", "m / d_in"}) {
            assertTrue(svg.contains(name), name);
        }
        // segments: 2 solid + 0 for token-infer (each touches the missing value) + 2 dashed, besides the legend's 3 samples
        long dashed = svg.lines().filter(l -> l.startsWith("<line") && l.contains("stroke-dasharray")).count();
        assertEquals(2 + 1, dashed, svg);
        // dots: 3 for null-space and 2 for token-infer; none for the dashed reference
        assertEquals(5, svg.lines().filter(l -> l.startsWith("<circle")).count(), svg);
    }

    @Test
    void pngIsTheSamePlotAtSevenHundredTwentyPixels() throws Exception {
        plot().writePng(dir.resolve("p.png"));
        var image = ImageIO.read(dir.resolve("p.png").toFile());
        assertEquals(720, image.getWidth());
        assertTrue(image.getHeight() > 200);
        plot().writePng(dir.resolve("q.png"));
        byte[] p = Files.readAllBytes(dir.resolve("p.png")), q = Files.readAllBytes(dir.resolve("q.png"));
        assertTrue(java.util.Arrays.equals(p, q), "deterministic");
    }
}
