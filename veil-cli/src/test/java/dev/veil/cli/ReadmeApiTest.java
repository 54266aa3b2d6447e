package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's API example, kept compiling and true. */
class ReadmeApiTest {
    @Test
    void apiExampleRuns() throws Exception {
        Model model = ModelLoader.load(Shared.storiesGguf(), null);
        var plain = new Generator(model, new LocalLinearOps(model.config(), model.linear()));
        int[] prompt = {model.tokenizer().bos()};
        int[] answer = plain.generate(prompt, 64, Sampler.greedy(), token -> {});
        assertTrue(model.tokenizer().decode(answer).startsWith("Once upon a time, there was a little girl named Lily."));

        var server = new WeightsServer("stories", model.config(), model.linear(), null);
        var node = RemoNode.connect(model, "stories", new InMemoryChannel(server, Duration.ofMinutes(1)),
                RemoConfig.of(MaskSize.fraction(0.125), Numeric.Z64));
        try (node; server) {
            int[] same = node.generator().generate(prompt, 64, Sampler.greedy(), token -> {});
            var exact = new Generator(model, Numeric.Z64.plain(model.config(), model.linear()));
            assertArrayEquals(exact.generate(prompt, 64, Sampler.greedy(), token -> {}), same);
        }
    }
}
