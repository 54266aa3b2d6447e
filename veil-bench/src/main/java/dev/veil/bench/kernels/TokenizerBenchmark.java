package dev.veil.bench.kernels;

import dev.veil.engine.tokenizer.SentencePieceModel;
import dev.veil.engine.tokenizer.SentencePieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Llama 2 SentencePiece encoding of one long text (SST-2 sentences joined) of {@code chars} characters: the
 * priority-queue merge against its textbook O(n^2) twin. Reads the shared tokenizer.model and SST-2 from
 * VEIL_SHARED (default ../shared).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmark {
    @Param({"500", "2000", "8000"})
    int chars;

    SentencePieceTokenizer tokenizer;
    String text;

    @Setup
    public void setup() throws IOException {
        String env = System.getenv("VEIL_SHARED");
        Path shared = Path.of(env != null ? env : "../shared");
        tokenizer = SentencePieceModel.read(shared.resolve("models/llama2-tokenizer/tokenizer.model")).tokenizer();
        var b = new StringBuilder();
        for (String line : Files.readAllLines(shared.resolve("data/sst2/train.tsv")).subList(1, 20000)) {
            if (b.length() >= chars) break;
            b.append(line, 0, line.lastIndexOf('\t'));
        }
        text = b.substring(0, chars);
    }

    @Benchmark
    public int[] priorityQueueMerge() {
        return tokenizer.encode(text);
    }

    @Benchmark
    public int[] plainMerge() {
        return tokenizer.encodePlain(text, true);
    }
}
