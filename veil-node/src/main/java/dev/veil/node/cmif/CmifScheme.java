package dev.veil.node.cmif;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * CMIF: the node sanitizes each prompt with a differentially private mechanism (Report-Noisy-Max by default)
 * and keeps embedding, final norm and LM head; the weights server runs the decoder layers on the sanitized
 * embeddings. Answers return to the server unsanitized. By default each tenant's draws are consistent
 * ({@link ConsistentDraws}): a repeated prompt gives the server the same copy, not another vote.
 */
public final class CmifScheme implements Scheme {
    private final String description;
    private final double epsilonPerToken;
    private final Function<Model, Sanitizer> sanitizer;
    private final int drawsWindow; // < 0: fresh draws per request

    private CmifScheme(String description, double epsilonPerToken, Function<Model, Sanitizer> sanitizer, int drawsWindow) {
        this.description = description + (drawsWindow < 0 ? ", draws fresh per request"
                : ", draws consistent per tenant (window " + drawsWindow + ")");
        this.epsilonPerToken = epsilonPerToken;
        this.sanitizer = sanitizer;
        this.drawsWindow = drawsWindow;
    }

    public static final class Type implements SchemeType {
        @Override public String name() { return "cmif"; }

        @Override public String summary() { return "the prompt sanitized with ε-DP Report-Noisy-Max; the decoder layers on the weights server"; }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("sanitizer", "NAME", "rnm (default), santext+ or custext+"),
                    new SchemeOption("epsilon", "ε", "ε per sanitized token, or inf for none (default: 1)"),
                    new SchemeOption("k", "K", "candidates per token (default: 20)"),
                    new SchemeOption("p", "P", "probability of sanitizing a non-sensitive token (default: 0.3)"),
                    new SchemeOption("delta", "Δ", "sensitivity of the normalized scores (default: 1)"),
                    new SchemeOption("sensitive-share", "S", "least frequent share of tokens always sanitized (default: 0.2)"),
                    new SchemeOption("corpus", "FILE", "text whose token frequencies pick the sensitive tokens, one per line "
                            + "(default: the shared SST-2 training set)"),
                    new SchemeOption("draws", "HOW", "consistent (default: a tenant's same token in the same context is"
                            + " replaced the same way every time, so repeats give no vote) or fresh (new randomness per request)"),
                    new SchemeOption("draws-window", "N", "tokens on either side of a position its consistent draw depends on "
                            + "(default: " + ConsistentDraws.DEFAULT_WINDOW + ")"));
        }

        @Override
        public Scheme create(SchemeParams p) {
            String name = p.get("sanitizer", "rnm");
            if (!Sanitizers.NAMES.contains(name)) throw new IllegalArgumentException("unknown sanitizer '" + name + "' (" + String.join(", ", Sanitizers.NAMES) + ")");
            var d = SanitizerParams.defaults(1);
            var params = new SanitizerParams(SanitizerParams.parseEpsilon(p.get("epsilon", "1")), p.integer("k", d.k()), p.number("p", d.p()),
                    p.number("delta", d.delta()), p.number("sensitive-share", d.sensitiveShare()));
            String corpus = p.get("corpus", null);
            String draws = p.get("draws", "consistent");
            int window = p.integer("draws-window", ConsistentDraws.DEFAULT_WINDOW);
            if (!draws.equals("consistent") && !draws.equals("fresh")) {
                throw new IllegalArgumentException("--draws must be consistent or fresh, got '" + draws + "'");
            }
            if (window < 0) throw new IllegalArgumentException("--draws-window must be 0 or more tokens, got " + window);
            return of(name, params, corpus == null ? defaultCorpus() : Path.of(corpus), draws.equals("fresh") ? -1 : window);
        }
    }

    /** A sanitizer by name over the model's embedding table, with token frequencies counted on {@code corpus}; fresh draws. */
    public static CmifScheme of(String sanitizerName, SanitizerParams params, Path corpus) {
        return of(sanitizerName, params, corpus, -1);
    }

    /**
     * As {@link #of(String, SanitizerParams, Path)}, each tenant's draws consistent over a window of {@code drawsWindow}
     * tokens either side ({@link ConsistentDraws}), or fresh per request when it is negative.
     */
    public static CmifScheme of(String sanitizerName, SanitizerParams params, Path corpus, int drawsWindow) {
        String description = String.format(Locale.ROOT, "%s, ε %s per token, K %d, p %s, sensitive share %s", sanitizerName,
                Double.isInfinite(params.epsilon()) ? "∞" : trim(params.epsilon()), params.k(), trim(params.p()), trim(params.sensitiveShare()));
        return new CmifScheme(description, params.epsilon(), model -> {
            try {
                var space = EmbeddingSpace.fromModel(model);
                long[] counts = CorpusCounts.of(space, corpus, model.tokenizer()::encode, Sanitizers.defaultCacheDir());
                return Sanitizers.create(sanitizerName, space, counts, params, Sanitizers.defaultCacheDir());
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IllegalArgumentException("token-frequency corpus " + corpus + " not found", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot count token frequencies in " + corpus + ": " + e.getMessage(), e);
            }
        }, drawsWindow);
    }

    /** A scheme around a sanitizer already built, drawing fresh randomness per request. */
    public static CmifScheme of(Sanitizer sanitizer) {
        return new CmifScheme(sanitizer.name() + ", ε " + trim(sanitizer.epsilon()) + " per token", sanitizer.epsilon(), model -> sanitizer,
                -1);
    }

    /** ε spent on each sanitized token: a prompt of n editable tokens spends at most n times this. */
    @Override
    public double epsilonPerToken() {
        return epsilonPerToken;
    }

    @Override
    public PrivacyBudget budget(double limit, Path ledger) throws IOException {
        return PrivacyBudget.persistent(limit, ledger != null ? ledger : PrivacyBudget.defaultLedger());
    }

    /** The shared SST-2 training sentences ({@code veil.shared} or {@code VEIL_SHARED}, else ../shared). */
    public static Path defaultCorpus() {
        String v = System.getProperty("veil.shared", System.getenv("VEIL_SHARED"));
        return Path.of(v != null && !v.isBlank() ? v : "../shared", "data", "sst2", "train.tsv");
    }

    @Override
    public String trust() {
        return "ε-DP per sanitized token (ε " + (Double.isInfinite(epsilonPerToken) ? "∞" : trim(epsilonPerToken))
                + "), within the mechanism's scope; verbatim tokens are not covered";
    }

    @Override public String name() { return "cmif"; }

    @Override public String describe() { return description; }

    @Override public ModelParts parts() { return ModelParts.ALL; }

    @Override public int servers() { return 1; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        if (servers.size() != 1) throw new IllegalArgumentException("cmif talks to one weights server, got " + servers.size());
        // the draws' secret is derived from the sealed cache's key: it stays on the node and survives restarts
        byte[] secret = drawsWindow < 0 ? null : CacheSeal.of(Sanitizers.defaultCacheDir()).derive("cmif consistent draws");
        return CmifNode.connect(this, model, modelId, servers.getFirst(), sanitizer.apply(model), null, secret, drawsWindow);
    }

    private static String trim(double v) {
        return v == Math.rint(v) && !Double.isInfinite(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
