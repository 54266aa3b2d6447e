package dev.veil.engine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.ModelFormatException;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Model and tokenizer files from anywhere, and token ids from anyone: loading ends in a model or a clear
 * one-line error ({@link IOException}, {@link ModelFormatException}, {@link IllegalArgumentException}), never
 * another exception; decoding any ids gives text or such an error. Without JAZZER_FUZZ=1 each test replays its
 * committed corpus (src/test/resources/.../LoaderFuzzTestInputs); see docs/hardening.md.
 */
class LoaderFuzzTest {
    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("veil-fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void gguf(byte[] file) throws IOException {
        Path p = DIR.resolve("model.gguf");
        Files.write(p, file);
        load(() -> ModelLoader.load(p, null, ModelParts.ALL));
    }

    @FuzzTest(maxDuration = "3m")
    void llama2c(FuzzedDataProvider data) throws IOException {
        Path checkpoint = DIR.resolve("model.bin"), tokenizer = DIR.resolve("tok.bin");
        Files.write(tokenizer, data.consumeBytes(data.consumeInt(0, 8192)));
        Files.write(checkpoint, data.consumeRemainingAsBytes());
        load(() -> Llama2cLoader.load(checkpoint, tokenizer, ModelParts.ALL));
    }

    private static Tokenizer sentencePiece, gguf;

    @FuzzTest(maxDuration = "3m")
    void tokenizerDecoding(FuzzedDataProvider data) throws IOException {
        if (sentencePiece == null) {
            sentencePiece = Llama2cLoader.loadTokenizer(Shared.path("models/stories260K/tok512.bin"), 512);
            gguf = ModelLoader.load(Shared.path("models/stories260K/stories260K.gguf"), null).tokenizer();
        }
        Tokenizer t = data.consumeBoolean() ? sentencePiece : gguf;
        int previous = data.consumeInt();
        int[] ids = data.consumeInts(64);
        try {
            String text = t.decode(previous, ids);
            if (text == null) throw new AssertionError("decode gave null");
        } catch (IllegalArgumentException e) {
            oneLine(e);
        }
    }

    interface Load {
        Object run() throws IOException;
    }

    private static void load(Load load) {
        try {
            load.run();
        } catch (IOException | ModelFormatException | IllegalArgumentException e) {
            oneLine(e);
        }
    }

    static void oneLine(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")) {
            throw new AssertionError("not a one-line error: " + e, e);
        }
    }
}
