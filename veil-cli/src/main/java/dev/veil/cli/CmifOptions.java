package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.cmif.CorpusCounts;
import dev.veil.node.cmif.EmbeddingSpace;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.node.cmif.SanitizerParams;
import dev.veil.node.cmif.Sanitizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** CMIF's settings, shared by the commands that sanitize prompts: the sanitizer, ε and its parameters. */
final class CmifOptions {
    @Option(names = "--sanitizer", defaultValue = "rnm", description = "CMIF: rnm, santext+, custext+ or em (default: ${DEFAULT-VALUE})")
    String sanitizer;

    @Option(names = "--epsilon", defaultValue = "1", description = "CMIF: ε per sanitized token, or inf for none (default: ${DEFAULT-VALUE})")
    String epsilon;

    @Option(names = "--k", defaultValue = "20", description = "CMIF: candidates per token (default: ${DEFAULT-VALUE})") int k;
    @Option(names = "--p", defaultValue = "0.3", description = "CMIF: probability of sanitizing a non-sensitive token (default: ${DEFAULT-VALUE})") double p;
    @Option(names = "--delta", defaultValue = "1", description = "CMIF: sensitivity Δ of the normalized scores, at least 1 (default: ${DEFAULT-VALUE})") double delta;
    @Option(names = "--sensitive-share", defaultValue = "0.2", description = "CMIF: least frequent share of tokens always sanitized (default: ${DEFAULT-VALUE})") double share;

    @Option(names = "--corpus", description = "CMIF: text counted for token frequencies, one text per line (.tsv: text before the last tab); default: shared SST-2 training set")
    Path corpus;

    SanitizerParams params() {
        return new SanitizerParams(UtilityCommand.parseEpsilon(epsilon), k, p, delta, share);
    }

    /** A token-level sanitizer over the model's embedding table. */
    Sanitizer sanitizer(Model model) throws IOException {
        var space = EmbeddingSpace.fromModel(model);
        Path file = corpus != null ? corpus : UtilityCommand.shared().resolve("data/sst2/train.tsv");
        long[] counts = CorpusCounts.of(space, file, model.tokenizer()::encode, Sanitizers.defaultCacheDir());
        return Sanitizers.create(sanitizer, space, counts, params(), Sanitizers.defaultCacheDir());
    }

    String describe() {
        return String.format(Locale.ROOT, "%s, ε %s per token, K %d, p %s, sensitive share %s", sanitizer, epsilon, k, p, share);
    }
}
