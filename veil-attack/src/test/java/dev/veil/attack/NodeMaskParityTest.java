package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.attack.remo.SimulatedRemo;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's ReMO imitation ({@link SimulatedRemo}) and the real trusted node agree on what the server sees: the
 * same rank m for every matrix, and private masks Mpvt of one distribution. Reads the real node's view from the
 * transcript its weights server wrote, and recovers each call's Mpvt from the first layer's QKV input, whose
 * plaintext (the normed embedding) the test knows.
 */
class NodeMaskParityTest {
    static final String[] TEXT = {"Lily saw a big red ball in the park and she ran to get it.",
        "Tom and his dog went to the sea to look for shells on the sand.",
        "Once upon a time there was a little bird who wanted to fly to the moon.",
        "The sun was hot, so the kids sat under a tree and ate cold ice cream."};

    @TempDir Path dir;

    /** What the server saw of one sequence, and (for the test only) the tokens at its positions. */
    record Seen(Observation o, int[] tokens) {}

    @Test
    void sameRankForEveryMatrixInEveryMode() throws Exception {
        for (MaskSize size : List.of(MaskSize.fraction(0.125), MaskSize.fraction(0.6), MaskSize.rows(3), MaskSize.rows(1000))) {
            for (Numeric numeric : List.of(Numeric.FLOAT, Numeric.parse("z32"))) {
                Observation node = nodeView(size, numeric, 1.0, List.of(TEXT[0]), 4).getFirst().o();
                Observation lab = labView(size, numeric, 1.0, null, List.of(TEXT[0]), 4).getFirst().o();
                assertEquals(node.bases().keySet(), lab.bases().keySet());
                for (var key : node.bases().keySet()) {
                    Rows a = node.bases().get(key), b = lab.bases().get(key);
                    assertEquals(a.rows() + "x" + a.cols(), b.rows() + "x" + b.cols(), size + " " + numeric + " " + key);
                    assertEquals(a.getClass(), b.getClass());
                }
            }
        }
    }

    @Test
    void samePrivateMaskDistribution() throws Exception {
        MaskSize size = MaskSize.rows(56);
        double sigma = 2.0;
        List<String> text = List.of(TEXT);
        List<Seen> node = nodeView(size, Numeric.FLOAT, sigma, text, 24);
        List<Seen> lab = labView(size, Numeric.FLOAT, sigma, node.getFirst().o().bases(), text, 24);
        double[] a = privateMasks(node), b = privateMasks(lab);
        assertTrue(a.length > 8000 && b.length > 8000, a.length + " and " + b.length + " coefficients");
        // Uniform on ±σ√3/√m on both sides (one-sample Kolmogorov-Smirnov), and alike (two-sample); α = 10⁻⁴ each.
        double half = sigma * Math.sqrt(3) / Math.sqrt(56), c = 2.22;
        for (double[] s : List.of(a, b)) {
            assertTrue(Arrays.stream(s).allMatch(v -> Math.abs(v) <= half * 1.0001), "an Mpvt entry beyond ±σ√3/√m");
            assertTrue(ksUniform(s, half) < c / Math.sqrt(s.length), "KS distance to the uniform " + ksUniform(s, half));
        }
        double d = ks(a, b), critical = c * Math.sqrt((a.length + b.length) / ((double) a.length * b.length));
        assertTrue(d < critical, "KS distance " + d + " over " + critical);
        // The test tells distributions apart: Gaussian masks of the same variance fail it.
        var g = new java.util.SplittableRandom(1);
        double[] gauss = new double[a.length];
        for (int i = 0; i < gauss.length; i++) gauss[i] = g.nextGaussian() * half / Math.sqrt(3);
        assertTrue(ksUniform(gauss, half) > c / Math.sqrt(gauss.length), "KS cannot tell uniform from Gaussian masks");
    }

    /** One-sample Kolmogorov-Smirnov distance to the uniform distribution on [−half, half]. */
    static double ksUniform(double[] x, double half) {
        double[] s = x.clone();
        Arrays.sort(s);
        double d = 0;
        for (int i = 0; i < s.length; i++) {
            double f = Math.min(1, Math.max(0, (s[i] + half) / (2 * half)));
            d = Math.max(d, Math.max(Math.abs(f - (double) i / s.length), Math.abs(f - (i + 1.0) / s.length)));
        }
        return d;
    }

    /** What the real node's weights server saw, read from its transcript. */
    private List<Seen> nodeView(MaskSize size, Numeric numeric, double sigma, List<String> text, int answerTokens) throws Exception {
        Path file = Files.createTempFile(dir, "node", ".transcript");
        var m = Stories.MODEL;
        List<VictimRun> tokens = new ArrayList<>();
        try (var writer = new TranscriptWriter(file, "stories", ModelDims.of(m.config()));
             var server = new WeightsServer("stories", m.config(), m.linear(), writer);
             var node = RemoNode.connect(m, "stories", new InMemoryChannel(server, Duration.ofSeconds(60)),
                     new RemoConfig(size, numeric, sigma))) {
            for (String s : text) {
                int[] prompt = Stories.prompt(s);
                int[] answer = node.generator().generate(prompt, answerTokens, Sampler.greedy(), t -> {});
                tokens.add(new VictimRun(null, prompt, answer));
            }
        }
        List<Observation> seen = Transcripts.read(file);
        assertEquals(text.size(), seen.size());
        List<Seen> out = new ArrayList<>();
        for (int i = 0; i < seen.size(); i++) {
            var truth = new VictimRun(seen.get(i), tokens.get(i).prompt(), tokens.get(i).answer());
            out.add(new Seen(seen.get(i), truth.positionTokens()));
        }
        return out;
    }

    private static List<Seen> labView(MaskSize size, Numeric numeric, double sigma, Map<Observation.Key, Rows> bases,
                                      List<String> text, int answerTokens) {
        var rec = new Observation.Recorder();
        var ops = new SimulatedRemo(Stories.MODEL.config(), Stories.MODEL.linear(), numeric, rec, size, bases, sigma, 7);
        List<Seen> out = new ArrayList<>();
        for (String s : text) {
            var run = VictimRun.run(Stories.MODEL, ops, rec, Stories.prompt(s), answerTokens);
            out.add(new Seen(run.observation(), run.positionTokens()));
        }
        return out;
    }

    /** Mpvt of every first-layer QKV row: the least-squares c with (Ê − E)ᵀ = Mpubᵀ·cᵀ. */
    private static double[] privateMasks(List<Seen> views) {
        var shadow = new ShadowDecoder(Stories.MODEL);
        List<Double> out = new ArrayList<>();
        for (Seen v : views) {
            var base = (Rows.Floats) v.o().base(Site.QKV, 0);
            int m = base.rows(), d = base.cols();
            double[][] gram = new double[m][m];
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) gram[i][j] = dot(base.data(), i * d, base.data(), j * d, d);
            float[] seen = v.o().received(Site.QKV, 0);
            assertEquals(v.tokens().length * d, seen.length);
            for (int r = 0; r < v.tokens().length; r++) {
                // The first layer's input depends on the token alone: its normed embedding.
                float[] plain = shadow.run(shadow.prefix(), shadow.embed(new int[] {v.tokens()[r]}), 1, Site.QKV, 0).target();
                double[] rhs = new double[m];
                for (int i = 0; i < m; i++) {
                    for (int k = 0; k < d; k++) rhs[i] += base.data()[i * d + k] * ((double) seen[r * d + k] - plain[k]);
                }
                for (double c : solve(gram, rhs)) out.add(c);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[ao + i] * b[bo + i];
        return s;
    }

    /** Gaussian elimination with partial pivoting. */
    static double[] solve(double[][] a0, double[] b0) {
        int n = b0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = a0[i].clone();
        double[] b = b0.clone();
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] t = a[col]; a[col] = a[piv]; a[piv] = t;
            double tb = b[col]; b[col] = b[piv]; b[piv] = tb;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                for (int k = col; k < n; k++) a[r][k] -= f * a[col][k];
                b[r] -= f * b[col];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int k = r + 1; k < n; k++) s -= a[r][k] * x[k];
            x[r] = s / a[r][r];
        }
        return x;
    }

    /** Two-sample Kolmogorov-Smirnov distance. */
    static double ks(double[] a, double[] b) {
        double[] x = a.clone(), y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double v = Math.min(x[i], y[j]);
            while (i < x.length && x[i] <= v) i++;
            while (j < y.length && y[j] <= v) j++;
            d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return d;
    }
}
