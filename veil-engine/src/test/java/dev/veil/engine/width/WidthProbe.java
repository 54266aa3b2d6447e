package dev.veil.engine.width;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tensor.Lanes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prints one line per model and numeric mode: the bits of every logit of a prefill and three decode steps,
 * hashed. Run at several vector widths ({@code -XX:MaxVectorSize}), the lines must be identical.
 */
public final class WidthProbe {
    private WidthProbe() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        System.out.println("bits " + Lanes.bits());
        for (String line : lines(dir)) System.out.println(line);
    }

    /** The lines for every supported tensor type (random GGUF models in {@code dir}) and the in-memory shapes. */
    static List<String> lines(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        Files.createDirectories(dir);
        for (GGMLType type : GGMLType.SUPPORTED) {
            Path file = RandomModels.cached(ModelShape.named("tiny-llama"), type, 11, dir);
            Model m = ModelLoader.load(file, null);
            out.add("tiny-llama " + type + " float " + hash(m, new LocalLinearOps(m.config(), m.linear())));
            if (type == GGMLType.Q8_0) {
                out.add("tiny-llama " + type + " z64 " + hash(m, Numeric.Z64.plain(m.config(), m.linear())));
            }
        }
        for (var c : List.of(InMemoryModels.llama(), InMemoryModels.qwen2(), InMemoryModels.qwen3())) {
            Model m = InMemoryModels.create(c, 3);
            out.add("in-memory " + c.architecture() + " float " + hash(m, new LocalLinearOps(m.config(), m.linear())));
        }
        return out;
    }

    private static String hash(Model m, LinearOps linear) {
        var forward = new Forward(m.config(), m.node(), linear);
        var cache = new KVCache(m.config(), 16);
        int vocab = m.config().vocabSize();
        long h = Arrays.hashCode(forward.forward(new int[] {1, 7 % vocab, 99 % vocab, 42 % vocab, 5}, cache, true));
        int next = 3;
        for (int step = 0; step < 3; step++) {
            float[] logits = forward.forward(new int[] {next}, cache, false);
            h = 31 * h + Arrays.hashCode(logits);
            next = (next * 37 + 11) % vocab;
        }
        return Long.toHexString(h);
    }
}
