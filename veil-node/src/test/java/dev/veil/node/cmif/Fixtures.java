package dev.veil.node.cmif;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;

/** The real stories260K embedding table and token counts over SST-2's labelled dev sentences, loaded once. */
final class Fixtures {
    private Fixtures() {}

    private static Model model;
    private static EmbeddingSpace space;
    private static long[] counts;

    static synchronized Model model() {
        if (model == null) {
            try {
                model = ModelLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    static synchronized EmbeddingSpace stories() {
        if (space == null) space = EmbeddingSpace.fromModel(model());
        return space;
    }

    static synchronized long[] counts() {
        if (counts == null) {
            var tok = model().tokenizer();
            counts = SensitiveSet.count(stories(), sst2Sentences().stream().map(tok::encode).toList());
        }
        return counts;
    }

    static List<String> sst2Sentences() {
        try {
            return Files.readAllLines(Shared.path("data/sst2/test.tsv")).stream().skip(1)
                    .map(l -> l.substring(0, l.lastIndexOf('\t')).strip()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
