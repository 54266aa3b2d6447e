package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.engine.gguf.GGUFFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** veil make-model, convert and info, run as the CLI runs them. */
class ModelCommandsTest {
    @TempDir Path dir;
    private String out = "", err = "";

    private int run(String... args) {
        var run = CliRun.of(args);
        out = run.out();
        err = run.err();
        return run.code();
    }

    private static Path shared(String relative) {
        String root = System.getenv("VEIL_SHARED") != null ? System.getenv("VEIL_SHARED") : System.getenv("VEIL_SHARED_DEFAULT");
        return Path.of(root == null ? "../shared" : root, relative);
    }

    @Test
    void makeModelThenInfo() throws Exception {
        Path p = dir.resolve("m.gguf");
        assertEquals(0, run("make-model", "--shape", "tiny-qwen2", "--seed", "3", "--layers", "1",
                "--tokenizer", shared("models/stories260K/tok512.bin").toString(), "--out", p.toString()), err);
        assertTrue(out.contains("custom-qwen2-256 F32"), out);
        var f = GGUFFile.open(p);
        assertEquals(1L, f.metadata().get("qwen2.block_count"));
        assertTrue(f.hasTensor("blk.0.attn_q.bias"));

        assertEquals(0, run("info", p.toString()), err);
        String info = out;
        assertTrue(info.contains("GGUF v3"), info);
        assertTrue(info.contains("model: qwen2, dim 256, hidden 512, 1 layer, 4 heads (2 kv, head size 64), vocab 512"), info);
        assertTrue(info.contains("blk.0.attn_q.bias"), info);
    }

    @Test
    void convertThenInfo() throws Exception {
        Path p = dir.resolve("stories.gguf");
        assertEquals(0, run("convert", "--model", shared("models/stories260K/stories260K.bin").toString(), "--out", p.toString()),
                err);
        assertTrue(Files.size(p) > 1_000_000);
        assertEquals(0, run("info", p.toString()), err);
        assertTrue(out.contains("tokenizer.ggml.tokens"), out);
    }

    @Test
    void badInputGetsOneClearLine() throws Exception {
        Path bogus = dir.resolve("bogus.gguf");
        Files.writeString(bogus, "GGUF");
        assertEquals(1, run("info", bogus.toString()));
        assertEquals("veil: " + bogus + ": truncated: file ends at byte 4 inside the header", err.strip());
        assertEquals(1, run("info", dir.resolve("none.gguf").toString()));
        assertTrue(err.startsWith("veil: model file not found"), err);
        assertEquals(1, run("make-model", "--shape", "nope", "--out", dir.resolve("x.gguf").toString()));
        assertTrue(err.startsWith("veil: unknown model shape 'nope'"), err);
        assertEquals(1, run("make-model", "--dim", "64", "--out", dir.resolve("x.gguf").toString()));
        assertTrue(err.startsWith("veil: give --shape, or all of"), err);
        assertFalse(Files.exists(dir.resolve("x.gguf")));
        assertNotEquals(0, run("convert", "--model", bogus.toString(), "--out", dir.resolve("y.gguf").toString()));
        assertEquals(1, err.strip().lines().count(), err);
    }
}
