package dev.veil.node.remo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.tensor.GGMLType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random-weight GGUF models of every architecture, with their weight matrices in every tensor type, served over
 * loopback TCP: exact mode is bit-identical to the plain engine's exact mode; float mode decodes the same
 * greedy tokens where the kernels take float inputs. Q8_0 and Q4_0 kernels quantize each input row to 8 bits
 * per block of 32, and a masked row has a wider range than the row it hides, so there float ReMO is off by
 * about the format's own rounding (a few percent of the logits' range) and may flip a close greedy choice:
 * the test bounds that difference; exact mode is the remedy.
 */
@Timeout(180)
class RandomGgufModelsTest {
    static final int[] PROMPT = {1, 45, 300, 7, 88, 411};

    @Test
    void everyArchitectureAndTensorType(@TempDir Path dir) throws Exception {
        for (String shape : new String[] {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
            // every tensor type on one architecture, a float and an integer-kernel type on the others (test time)
            var types = shape.equals("tiny-llama") ? GGMLType.SUPPORTED : java.util.EnumSet.of(GGMLType.F16, GGMLType.Q8_0);
            for (GGMLType type : types) {
                Path p = dir.resolve(shape + "-" + type + ".gguf");
                RandomModels.write(ModelShape.named(shape), type, 100, null, p);
                Model model = ModelLoader.load(p, null);
                try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.125), Numeric.Z64), null)) {
                    RemoEndToEndTest.compare(model, Numeric.Z64.plain(model.config(), model.linear()), split.node.linear(), PROMPT, 4, true);
                }
                try (var split = new SplitRuntime(model, RemoConfig.of(MaskSize.fraction(0.125), Numeric.FLOAT), null)) {
                    boolean floatInputs = type != GGMLType.Q8_0 && type != GGMLType.Q4_0;
                    double worst = RemoEndToEndTest.compare(model, Numeric.FLOAT.plain(model.config(), model.linear()), split.node.linear(),
                            PROMPT, 4, false, floatInputs);
                    System.out.printf("%s %s: float ReMO max relative logit difference %.2e%n", shape, type, worst);
                    assertTrue(worst < (floatInputs ? 1e-4 : 0.1), shape + " " + type + ": " + worst);
                }
            }
        }
    }
}
