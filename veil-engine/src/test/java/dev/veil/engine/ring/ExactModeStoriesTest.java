package dev.veil.engine.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The exact ring mode is a faithful numeric mode: on the real model it decodes what float decodes. */
@Tag("vector")
class ExactModeStoriesTest {
    @Test
    void z64GreedyTokensEqualFloatAndZ32StaysOnTrack() throws Exception {
        Model model = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        int[] bos = {model.tokenizer().bos()};
        int[] plain = new Generator(model, Numeric.FLOAT.plain(model.config(), model.linear())).generate(bos, 60, Sampler.greedy(), t -> {});
        int[] z64 = new Generator(model, Numeric.Z64.plain(model.config(), model.linear())).generate(bos, 60, Sampler.greedy(), t -> {});
        assertArrayEquals(plain, z64);
        int[] z32 = new Generator(model, Numeric.Z32.plain(model.config(), model.linear())).generate(bos, 60, Sampler.greedy(), t -> {});
        String text = model.tokenizer().decode(z32);
        assertTrue(text.startsWith("Once upon a time"), text);
    }
}
