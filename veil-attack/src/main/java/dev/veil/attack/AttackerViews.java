package dev.veil.attack;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.ServerViews;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Channel;
import dev.veil.weights.InProcessWeightsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The page's view of one request from the weights server's seat ({@link ServerViews}), for the tools' {@code veil serve}
 * with its weights servers in process; the trusted node jar has none. The request runs on a trusted node of its own
 * whose in-process weights server records its transcript (the server's whole view of that request and nothing
 * else); afterwards the first layer's received input is drawn beside the plain input, and the attack lab's
 * training-free attacks try to read the prompt back from the transcript. This is the demo's instrument, run
 * by the trusted node about its own request; the shared weights servers record nothing.
 */
public final class AttackerViews implements ServerViews {
    /** Positions and columns drawn at most (the picture is a summary, not the transcript). */
    static final int MAX_ROWS = 64, MAX_COLS = 256;

    private final Model model;
    private final String modelId;
    private final ShadowDecoder shadow;
    private final AttackLab lab;

    public AttackerViews(Model model, String modelId) {
        this.model = model;
        this.modelId = modelId;
        this.shadow = new ShadowDecoder(model);
        this.lab = new AttackLab(model, null);
    }

    /** A trusted node for one request of {@code scheme}, its weights server recording to a file of its own. */
    @Override
    public ServerViews.View open(Scheme scheme) {
        try {
            Path file = Files.createTempFile("veil-view-", ".transcript");
            var writer = new TranscriptWriter(file, modelId, ModelDims.of(model.config()));
            List<Channel> servers = new ArrayList<>();
            for (int i = 0; i < scheme.servers(); i++) servers.add(new InProcessWeightsServer(model, modelId, i == 0 ? writer : null));
            TrustedNode node;
            try {
                node = scheme.open(model, modelId, servers);
            } catch (RuntimeException e) {
                servers.forEach(Channel::close);
                writer.close();
                Files.deleteIfExists(file);
                throw e;
            }
            return new Recording(scheme, node, writer, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request's recording node. */
    private final class Recording implements ServerViews.View {
        private final Scheme scheme;
        private final TrustedNode node;
        private final TranscriptWriter writer;
        private final Path file;

        Recording(Scheme scheme, TrustedNode node, TranscriptWriter writer, Path file) {
            this.scheme = scheme;
            this.node = node;
            this.writer = writer;
            this.file = file;
        }

        @Override
        public TrustedNode node() {
            return node;
        }

        /** What the server received at the first layer beside the plain input, and what the best attack read back. */
        @Override
        public Map<String, Object> describe(int[] prompt, int[] answer) {
            Map<String, Object> out = new LinkedHashMap<>();
            Observation o;
            if (scheme.servers() == 0) {
                // No protection: an outsourced server would multiply the plain activations (the attack lab's baseline).
                out.put("note", "plain has no weights server: the node runs the whole model in the clear, and whoever runs the "
                        + "node sees the prompt and the answer; the pictures show what a weights server running the linear layers "
                        + "would receive without protection");
                o = unprotected(prompt, answer);
            } else {
                List<Observation> seen;
                try {
                    writer.flush();
                    seen = Transcripts.read(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (seen.isEmpty()) {
                    out.put("note", "the weights server received nothing");
                    return out;
                }
                o = seen.getFirst();
            }
            boolean cmif = o.exchanges().getFirst().site() == Site.DECODER_STACK;
            Site site = cmif ? Site.DECODER_STACK : Site.QKV;
            int n = o.positions(site, 0);
            int[] positions = Arrays.copyOf(concat(prompt, answer), n);
            float[] plain = cmif ? shadow.embed(positions) : Arrays.copyOf(unprotected(prompt, answer).received(Site.QKV, 0),
                    n * model.config().dim());
            out.put("site", cmif ? "decoder stack input (embeddings)" : "layer 0 QKV input");
            out.put("plain", picture(plain, n));
            out.put("received", picture(o.received(site, 0), n));

            List<Attack> attacks = new ArrayList<>();
            if (cmif) {
                attacks.add(new EmbeddingInversionAttack(shadow));
                attacks.add(new HiddenStateAttack(model));
            } else {
                attacks.add(new VocabularyMatchingAttack(shadow, Site.QKV, 0, VocabularyMatchingAttack.Distance.L2,
                        dev.veil.attack.View.RAW));
                if (o.base(Site.QKV, 0) != null) attacks.add(new NullSpaceProjectionAttack(shadow, Site.QKV, 0));
            }
            int[] truth = Arrays.copyOfRange(prompt, Math.min(1, prompt.length), prompt.length);
            String best = null;
            int[] bestGuess = null;
            double bestScore = -1;
            List<Map<String, Object>> tried = new ArrayList<>();
            out.put("attacks", tried);
            for (Attack a : attacks) {
                int[] guess = lab.reconstruct(a, o).prompt();
                double score = agreement(truth, guess);
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("attack", a.name());
                t.put("prompt_tokens_recovered", score);
                tried.add(t);
                if (score > bestScore) {
                    bestScore = score;
                    best = a.name();
                    bestGuess = guess;
                }
            }
            out.put("best_attack", best);
            out.put("prompt_tokens_recovered", bestScore);
            out.put("recovered_prompt", model.tokenizer().decode(bestGuess));
            return out;
        }

        @Override
        public void close() {
            node.close();
            try {
                writer.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }
    }

    /** The server's view of the request's forward passes (the prompt, then each answer token fed back), had it multiplied plain
     * activations. */
    private Observation unprotected(int[] prompt, int[] answer) {
        var c = model.config();
        var recorder = new Observation.Recorder();
        var forward = new Forward(c, model.node(), new ObservingLinearOps(c, new LocalLinearOps(c, model.linear()), recorder));
        var cache = new KVCache(c, prompt.length + answer.length);
        forward.forward(prompt, cache, false);
        for (int i = 0; i + 1 < answer.length; i++) forward.forward(new int[] {answer[i]}, cache, false); // the last one is never fed back
        return recorder.take();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Share of the prompt's tokens guessed at their own position. */
    private static double agreement(int[] truth, int[] guess) {
        if (truth.length == 0) return 0;
        int hits = 0;
        for (int i = 0; i < truth.length && i < guess.length; i++) if (truth[i] == guess[i]) hits++;
        return (double) hits / truth.length;
    }

    /** The first rows and columns of an n-row matrix as bytes -127..127, scaled by its own 99th-percentile magnitude. */
    static Map<String, Object> picture(float[] m, int n) {
        int width = m.length / n, rows = Math.min(n, MAX_ROWS), cols = Math.min(width, MAX_COLS);
        float[] mags = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) mags[r * cols + c] = Math.abs(m[r * width + c]);
        float[] sorted = mags.clone();
        Arrays.sort(sorted);
        float scale = sorted.length == 0 ? 1 : Math.max(sorted[(int) (0.99 * (sorted.length - 1))], 1e-30f);
        byte[] px = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) px[r * cols + c] = (byte) Math.round(Math.clamp(m[r * width + c] / scale, -1f, 1f) * 127);
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("rows", rows);
        p.put("cols", cols);
        p.put("scale", scale);
        p.put("pixels", Base64.getEncoder().encodeToString(px));
        return p;
    }
}
