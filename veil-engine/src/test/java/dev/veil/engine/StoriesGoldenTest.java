package dev.veil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The real trained stories260K model must reproduce the llama2.c reference output. */
@Tag("vector")
class StoriesGoldenTest {
    static final String REFERENCE = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
            + "One day, she saw a big, red ball.";

    @Test
    void greedyFromBosMatchesLlama2c() throws Exception {
        Model model = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        var gen = new Generator(model, new LocalLinearOps(model.config(), model.linear()));
        int[] out = gen.generate(new int[] {model.tokenizer().bos()}, 60, Sampler.greedy(), t -> {});
        String text = model.tokenizer().decode(out);
        assertTrue(text.startsWith(REFERENCE), "got: " + text);
    }

    @Test
    void tokenizerRoundTrip() throws Exception {
        var tok = Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512);
        for (String s : new String[] {"Once upon a time, there was a little girl.", "héllo wörld 😀", "a  b\n\tc"}) {
            assertEquals(s, tok.decode(tok.encode(s)));
        }
    }
}
