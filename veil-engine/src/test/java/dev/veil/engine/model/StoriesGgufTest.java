package dev.veil.engine.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.Shared;
import dev.veil.engine.gguf.GGUFFile;
import dev.veil.engine.gguf.GGUFTensorInfo;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.tensor.GGMLType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stories260K as GGUF: the independently converted file, and Veil's own conversion, against the llama2.c checkpoint. */
class StoriesGgufTest {
    @TempDir Path dir;

    static int[] greedy(Model m, int steps) {
        var gen = new Generator(m, new LocalLinearOps(m.config(), m.linear()));
        return gen.generate(new int[] {m.tokenizer().bos()}, steps, Sampler.greedy(), t -> {});
    }

    @Test
    void sharedGgufGeneratesWhatTheCheckpointGenerates() throws Exception {
        Model bin = ModelLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        Model gguf = ModelLoader.load(Shared.storiesGguf(), null);
        var c = gguf.config();
        assertEquals(new LlamaConfig("llama", 64, 172, 5, 8, 4, 8, 512, 2048, 1e-5f, 10000f,
                LlamaConfig.RopeStyle.ADJACENT, null, false), c);
        assertSame(gguf.node().tokenEmbedding().getClass(), gguf.linear().lmHead().getClass());
        int[] expected = greedy(bin, 200);
        assertArrayEquals(expected, greedy(gguf, 200));
        assertEquals(bin.tokenizer().decode(expected), gguf.tokenizer().decode(expected));
        String s = "Once upon a time, there was a little girl named Lily.";
        assertArrayEquals(bin.tokenizer().encode(s), gguf.tokenizer().encode(s));
    }

    @Test
    void convertedCheckpointMatchesTheIndependentConversion() throws Exception {
        Path out = dir.resolve("stories.gguf");
        var notes = GGUFModelWriter.convertLlama2c(Shared.storiesBin(), Shared.storiesTokenizer(), GGMLType.F32, out);
        assertEquals(java.util.List.of(), notes);
        var ours = GGUFFile.open(out);
        var theirs = GGUFFile.open(Shared.storiesGguf());
        // Every tensor llama.cpp wrote is there, bit for bit (their output.weight is a copy of the embedding; ours is tied).
        for (GGUFTensorInfo t : theirs.tensorList()) {
            String name = t.name().equals(GGUFNames.OUTPUT) ? GGUFNames.TOKEN_EMBD : t.name();
            GGUFTensorInfo o = ours.tensorInfo(name);
            assertArrayEquals(t.dims(), o.dims(), name);
            assertEquals(t.type(), o.type(), name);
            assertEquals(-1, theirs.data(t).mismatch(ours.data(o)), name + " differs");
        }
        assertEquals(theirs.tensorInfos().size() - 1, ours.tensorInfos().size());
        for (String key : new String[] {"tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.unknown_token_id", "general.architecture", "llama.embedding_length", "llama.feed_forward_length",
                "llama.block_count", "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.dimension_count",
                "llama.attention.layer_norm_rms_epsilon"}) {
            assertEquals(theirs.valueType(key), ours.valueType(key), key);
            assertEquals(GGUFFile.format(theirs.metadata().get(key), 1000), GGUFFile.format(ours.metadata().get(key), 1000), key);
        }
        assertEquals(512L, ours.metadata().get("llama.context_length")); // the checkpoint's seq_len

        Model bin = ModelLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        Model converted = ModelLoader.load(out, null);
        int[] expected = greedy(bin, 200);
        assertArrayEquals(expected, greedy(converted, 200));
        assertTrue(converted.tokenizer().decode(expected).startsWith("Once upon a time, there was a little girl named Lily."));
    }

    @Test
    void convertsToQ8_0KeepingRowsThatAreNotWholeBlocks() throws Exception {
        Path out = dir.resolve("stories-q8.gguf");
        var notes = GGUFModelWriter.convertLlama2c(Shared.storiesBin(), Shared.storiesTokenizer(), GGMLType.Q8_0, out);
        // hidden = 172 is not a multiple of 32: the down projections stay F32, and a note says so.
        assertEquals(5, notes.size(), notes.toString());
        assertTrue(notes.getFirst().contains("blk.0.ffn_down.weight kept as F32"), notes.getFirst());
        var f = GGUFFile.open(out);
        assertEquals(GGMLType.Q8_0, f.tensorInfo("blk.0.ffn_up.weight").type());
        assertEquals(GGMLType.F32, f.tensorInfo("blk.0.ffn_down.weight").type());
        Model q8 = ModelLoader.load(out, null);
        String text = q8.tokenizer().decode(greedy(q8, 30));
        assertTrue(text.startsWith("Once upon a time"), text);
    }

    @Test
    void loadsOnlyTheRequestedPart() throws Exception {
        for (Path p : new Path[] {Shared.storiesGguf(), Shared.storiesBin()}) {
            Model all = ModelLoader.load(p, null, ModelParts.ALL);
            Model node = ModelLoader.load(p, null, ModelParts.NODE);
            Model weights = ModelLoader.load(p, null, ModelParts.WEIGHTS);
            assertNull(node.linear());
            assertNotNull(node.node());
            assertNotNull(node.tokenizer());
            assertNull(weights.node());
            assertNull(weights.tokenizer());
            assertNotNull(weights.linear());
            assertEquals(all.config(), node.config());
            assertEquals(all.config(), weights.config());
            // Together the two parts are the whole model.
            var split = new Model(all.config(), node.tokenizer(), node.node(), weights.linear());
            assertArrayEquals(greedy(all, 40), greedy(split, 40));
        }
    }

    @Test
    void rejectsUnknownArchitecturesAndWrongShapes() throws Exception {
        var theirs = GGUFFile.open(Shared.storiesGguf());
        Path p = dir.resolve("x.gguf");
        var w = new dev.veil.engine.gguf.GGUFWriter().putAll(theirs);
        w.put(GGUFNames.ARCHITECTURE, "mamba");
        for (GGUFTensorInfo t : theirs.tensorList()) {
            w.addTensor(t.name(), t.type(), t.dims(), dev.veil.engine.gguf.GGUFWriter.TensorSource.of(theirs.data(t)));
        }
        w.write(p);
        var e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(p, null));
        assertTrue(e.getMessage().contains("unsupported architecture 'mamba'"), e.getMessage());

        var w2 = new dev.veil.engine.gguf.GGUFWriter().putAll(theirs);
        for (GGUFTensorInfo t : theirs.tensorList()) {
            long[] dims = t.name().equals("blk.2.attn_k.weight") ? new long[] {32, 64} : t.dims();
            w2.addTensor(t.name(), t.type(), dims, dev.veil.engine.gguf.GGUFWriter.TensorSource.of(theirs.data(t)));
        }
        w2.write(p);
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(p, null));
        assertTrue(e.getMessage().contains("tensor 'blk.2.attn_k.weight' has shape [32, 64], expected [64, 32]"), e.getMessage());

        var w3 = new dev.veil.engine.gguf.GGUFWriter().putAll(theirs);
        for (GGUFTensorInfo t : theirs.tensorList()) {
            if (!t.name().equals("blk.4.ffn_up.weight")) {
                w3.addTensor(t.name(), t.type(), t.dims(), dev.veil.engine.gguf.GGUFWriter.TensorSource.of(theirs.data(t)));
            }
        }
        w3.write(p);
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(p, null));
        assertTrue(e.getMessage().contains("missing tensor 'blk.4.ffn_up.weight'"), e.getMessage());
        assertTrue(Arrays.stream(new String[] {"llama", "qwen2", "qwen3"}).allMatch(GGUFModelLoader.ARCHITECTURES::contains));
    }
}
