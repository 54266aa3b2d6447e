package dev.veil.engine.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.Shared;
import dev.veil.engine.gguf.GGUFFile;
import dev.veil.engine.gguf.GGUFTensorInfo;
import dev.veil.engine.gguf.GGUFWriter;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tokenizer.SentencePieceModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomModelsTest {
    @TempDir Path dir;

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws Exception {
        ModelShape s = ModelShape.named("tiny-qwen2");
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        RandomModels.write(s, GGMLType.F32, 1, null, a);
        RandomModels.write(s, GGMLType.F32, 1, null, b);
        RandomModels.write(s, GGMLType.F32, 2, null, c);
        assertEquals(-1, Files.mismatch(a, b));
        var fa = GGUFFile.open(a);
        var fc = GGUFFile.open(c);
        assertNotEquals(-1, fa.data(fa.tensorInfo("blk.1.ffn_up.weight")).mismatch(fc.data(fc.tensorInfo("blk.1.ffn_up.weight"))));
        // Rows are independent draws: no two rows of a matrix alike.
        var up = fa.tensor("blk.0.ffn_up.weight");
        assertNotEquals(up.getFloat(0), up.getFloat(256));
        assertNotEquals(up.getFloat(1), up.getFloat(257));
    }

    @Test
    void cachedModelsAreWrittenOnce() throws Exception {
        Path cache = dir.resolve("cache");
        Path p = RandomModels.cached(ModelShape.named("tiny-qwen3"), GGMLType.Q8_0, 4, cache);
        var written = Files.getLastModifiedTime(p);
        assertEquals(p, RandomModels.cached(ModelShape.named("tiny-qwen3"), GGMLType.Q8_0, 4, cache));
        assertEquals(written, Files.getLastModifiedTime(p));
        assertEquals(GGMLType.Q8_0, GGUFFile.open(p).tensorInfo("blk.0.attn_q.weight").type());
    }

    @Test
    void everyTypeHoldsTheSameWeightsQuantized() throws Exception {
        ModelShape s = ModelShape.named("tiny-llama");
        Path f32 = dir.resolve("f32.gguf");
        RandomModels.write(s, GGMLType.F32, 9, null, f32);
        var reference = GGUFFile.open(f32);
        for (GGMLType type : GGMLType.SUPPORTED) {
            Path p = dir.resolve(type + ".gguf");
            assertEquals(java.util.List.of(), RandomModels.write(s, type, 9, null, p));
            var f = GGUFFile.open(p);
            assertEquals(type, f.tensorInfo("blk.1.ffn_down.weight").type());
            assertEquals(GGMLType.F32, f.tensorInfo("blk.1.ffn_norm.weight").type());
            assertEquals(type.id, ((Number) f.metadata().get("general.file_type")).intValue());
            for (String name : new String[] {"token_embd.weight", "output.weight", "blk.1.ffn_down.weight", "blk.0.attn_q.weight"}) {
                var a = reference.tensor(name);
                var b = f.tensor(name);
                double se = 0, ss = 0;
                for (long i = 0; i < a.size(); i++) {
                    double d = a.getFloat(i) - b.getFloat(i);
                    se += d * d;
                    ss += (double) a.getFloat(i) * a.getFloat(i);
                }
                double rel = Math.sqrt(se / ss);
                // Relative RMS quantization error of uniform weights: 4-bit formats a few %, 8-bit and halves far less.
                double bound = switch (type) {
                    case F32 -> 0;
                    case F16 -> 1e-3;
                    case BF16 -> 5e-3;
                    case Q8_0, Q6_K -> 2e-2;
                    default -> 0.12;
                };
                assertTrue(rel <= bound, type + " " + name + ": relative quantization error " + rel);
            }
        }
    }

    @Test
    void loadsWithTheShapesConfigAndGenerates() throws Exception {
        for (String name : new String[] {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
            ModelShape s = ModelShape.named(name);
            Path p = dir.resolve(name + ".gguf");
            RandomModels.write(s, GGMLType.F32, 3, Llama2cLoader.readVocabulary(Shared.storiesTokenizer(), 512), p);
            Model m = ModelLoader.load(p, null);
            LlamaConfig expected = s.config();
            assertEquals(expected.architecture(), m.config().architecture());
            assertArrayEquals(expected.ropeFreqFactors(), m.config().ropeFreqFactors());
            assertEquals(new LlamaConfig(expected.architecture(), expected.dim(), expected.hiddenDim(), expected.layers(),
                    expected.heads(), expected.kvHeads(), expected.headDim(), expected.vocabSize(), expected.contextLength(),
                    expected.rmsEps(), expected.ropeTheta(), expected.ropeStyle(), m.config().ropeFreqFactors(), expected.qkNorm()), m.config());
            assertEquals(s.qkvBias(), m.node().qkvBias() != null, name);
            assertEquals(s.tiedOutput(), m.linear().lmHead() == m.node().tokenEmbedding(), name);
            var gen = new Generator(m, new LocalLinearOps(m.config(), m.linear()));
            int[] out = gen.generate(new int[] {1}, 10, Sampler.greedy(), t -> {});
            assertTrue(out.length == 10 || m.tokenizer().isStop(out[out.length - 1]), name + " stopped early: " + Arrays.toString(out));
            // The written weights load as written: random but finite logits that tell tokens apart.
            float[] logits = new dev.veil.engine.inference.Forward(m.config(), m.node(), new LocalLinearOps(m.config(), m.linear()))
                    .forward(new int[] {1}, new dev.veil.engine.inference.KVCache(m.config(), 1), false);
            assertTrue(IntStream.range(0, logits.length).allMatch(i -> Float.isFinite(logits[i])), name);
            assertTrue(IntStream.range(0, logits.length).mapToDouble(i -> logits[i]).max().orElseThrow()
                    > IntStream.range(0, logits.length).mapToDouble(i -> logits[i]).min().orElseThrow(), name + ": constant logits");
            assertEquals("Once upon a time", m.tokenizer().decode(m.tokenizer().encode("Once upon a time")));
        }
    }

    @Test
    void ropeScalingMetadataGivesTheSameFactorsAsRopeFreqs() throws Exception {
        ModelShape s = ModelShape.named("tiny-llama");
        Path p = dir.resolve("scaled.gguf"), q = dir.resolve("metadata-only.gguf");
        RandomModels.write(s, GGMLType.F32, 5, null, p);
        var f = GGUFFile.open(p);
        var w = new GGUFWriter().putAll(f);
        for (GGUFTensorInfo t : f.tensorList()) {
            if (!t.name().equals(GGUFNames.ROPE_FREQS)) w.addTensor(t.name(), t.type(), t.dims(), GGUFWriter.TensorSource.of(f.data(t)));
        }
        w.write(q);
        float[] fromTensor = ModelLoader.load(p, null).config().ropeFreqFactors();
        float[] fromMetadata = ModelLoader.load(q, null).config().ropeFreqFactors();
        assertArrayEquals(fromTensor, fromMetadata);
        // All three regimes of Llama 3 scaling occur in this shape: kept, interpolated, divided by the factor.
        assertEquals(1f, fromTensor[0]);
        assertEquals(8f, fromTensor[fromTensor.length - 1]);
        assertTrue(java.util.stream.IntStream.range(0, fromTensor.length).anyMatch(i -> fromTensor[i] > 1 && fromTensor[i] < 8));
        // And each factor is Meta's formula, written independently in the reference.
        for (int i = 0; i < fromTensor.length; i++) {
            double freq = Math.pow(s.ropeTheta(), -2.0 * i / s.headDim());
            assertEquals(freq / ReferenceForward.llama3Scaled(freq, s.ropeScaling()), fromTensor[i], 1e-5 * fromTensor[i]);
        }
    }

    @Test
    void namedShapesAreTheRealModelsShapes() {
        ModelShape l = ModelShape.named("llama-3.2-1b");
        assertEquals(1_235_814_400L, l.parameters()); // Llama-3.2-1B's published parameter count
        assertEquals(32, l.config().ropeFreqFactors().length);
        assertEquals(494_032_768L, ModelShape.named("qwen2.5-0.5b").parameters()); // Qwen2.5-0.5B
        assertEquals(596_049_920L, ModelShape.named("qwen3-0.6b").parameters()); // Qwen3-0.6B
        var e = assertThrows(ModelFormatException.class, () -> ModelShape.named("gpt-5"));
        assertTrue(e.getMessage().contains("tiny-llama"), e.getMessage());
    }

    @Test
    void vocabulariesGrowIntoValidSentencePieceVocabularies() throws Exception {
        var stories = Llama2cLoader.readVocabulary(Shared.storiesTokenizer(), 512);
        var grown = SyntheticVocabulary.resize(stories, 2000);
        for (var v : new SentencePieceModel[] {grown, SyntheticVocabulary.of(5000)}) {
            int size = v.pieces().length;
            assertEquals(size, new java.util.HashSet<>(java.util.Arrays.asList(v.pieces())).size(), "pieces are distinct");
            var tok = v.tokenizer();
            for (String text : new String[] {"Once upon a time, there was a little girl.", "héllo wörld 😀 {x: [1, 2]}", "a  b\n\tc"}) {
                int[] ids = tok.encode(text);
                assertEquals(text, tok.decode(ids));
            }
            // Grown pieces are merges of pieces already there, so the encoder can produce them (it does not always:
            // higher-scored merges may segment a piece's text differently).
            int first = v == grown ? 512 : 355, reached = 0, tried = 0;
            for (int id = first; id < size; id += 37, tried++) {
                String text = v.pieces()[id].replace("\u2581", " ");
                int[] ids = tok.encode(text.startsWith(" ") ? text.substring(1) : text);
                assertEquals(text.startsWith(" ") ? text.substring(1) : text, tok.decode(ids));
                if (ids.length == 1 && ids[0] == id) reached++;
            }
            System.out.printf("vocabulary of %d: %d of %d sampled grown pieces encode to themselves%n", size, reached, tried);
            assertTrue(reached > 0, reached + " of " + tried);
        }
        assertArrayEquals(java.util.Arrays.copyOf(stories.pieces(), 300), SyntheticVocabulary.resize(stories, 300).pieces());
        // A real SentencePiece model (Llama 2's 32,000 pieces) grows too, keeping its own pieces first.
        var llama2 = SentencePieceModel.read(Shared.path("models/llama2-tokenizer/tokenizer.model"));
        var bigger = SyntheticVocabulary.resize(llama2, 33000);
        assertArrayEquals(llama2.pieces(), java.util.Arrays.copyOf(bigger.pieces(), 32000));
        assertEquals("Hello, world", bigger.tokenizer().decode(bigger.tokenizer().encode("Hello, world")));
    }
}
