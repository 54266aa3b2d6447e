package dev.veil.engine.model;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.tensor.F32Tensor;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tokenizer.SentencePieceTokenizer;
import dev.veil.engine.tokenizer.SentencePieceModel;
import dev.veil.engine.tokenizer.TokenType;
import dev.veil.engine.tokenizer.Vocabulary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Loads llama2.c "v0" checkpoints: a header of 7 int32 (dim, hidden, layers, heads, kv heads, vocab, seq_len;
 * a negative vocab means an unshared classifier), then f32 weights in llama2.c's order, memory-mapped.
 */
public final class Llama2cLoader {
    /** llama2.c's fixed special ids. */
    public static final int UNK = 0, BOS = 1, EOS = 2;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Llama2cLoader() {}

    public static Model load(Path checkpoint, Path tokenizerFile) throws IOException {
        return load(checkpoint, tokenizerFile, ModelParts.ALL);
    }

    /** Loads {@code parts} of a checkpoint; the tokenizer file is only read (and needed) for the node's part. */
    public static Model load(Path checkpoint, Path tokenizerFile, ModelParts parts) throws IOException {
        MemorySegment file;
        try (var ch = FileChannel.open(checkpoint, StandardOpenOption.READ)) {
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        }
        if (file.byteSize() < 28) throw new ModelFormatException(checkpoint + ": too short for a llama2.c header");
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = file.get(LE_INT, 4L * i);
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.abs(h[5]), seq = h[6];
        boolean shared = h[5] > 0;
        if (dim <= 0 || heads <= 0 || dim % heads != 0) {
            throw new ModelFormatException(checkpoint + ": not a llama2.c checkpoint (header " + java.util.Arrays.toString(h) + ")");
        }
        int headDim = dim / heads, kvDim = kvHeads * headDim;
        var cfg = new LlamaConfig("llama", dim, hidden, layers, heads, kvHeads, headDim, vocab, seq, 1e-5f, 10000f,
                LlamaConfig.RopeStyle.ADJACENT, null, false);

        var r = new Reader(file, checkpoint);
        FloatTensor embedding = r.next((long) vocab * dim);
        float[][] attnNorm = r.rows(layers, dim);
        FloatTensor[] wq = r.matrices(layers, (long) dim * dim);
        FloatTensor[] wk = r.matrices(layers, (long) kvDim * dim);
        FloatTensor[] wv = r.matrices(layers, (long) kvDim * dim);
        FloatTensor[] wo = r.matrices(layers, (long) dim * dim);
        float[][] ffnNorm = r.rows(layers, dim);
        FloatTensor[] gate = r.matrices(layers, (long) hidden * dim);
        FloatTensor[] down = r.matrices(layers, (long) dim * hidden);
        FloatTensor[] up = r.matrices(layers, (long) hidden * dim);
        float[] finalNorm = r.next(dim).toFloatArray();
        r.skip(2L * seq * (headDim / 2)); // legacy precomputed RoPE tables
        FloatTensor lmHead = shared ? embedding : r.next((long) vocab * dim);
        if (r.offset != file.byteSize()) {
            throw new ModelFormatException(checkpoint + ": " + (file.byteSize() - r.offset) + " unexpected trailing bytes");
        }
        var node = parts.node() ? new NodeParams(embedding, attnNorm, ffnNorm, finalNorm, null, null, null) : null;
        var linear = parts.weights() ? new LinearWeights(wq, wk, wv, wo, gate, up, down, lmHead) : null;
        return new Model(cfg, parts.node() ? loadTokenizer(tokenizerFile, vocab) : null, node, linear);
    }

    /** llama2.c tokenizer.bin: int32 max_token_length, then per token f32 score, int32 length, bytes. */
    public static SentencePieceTokenizer loadTokenizer(Path file, int vocab) throws IOException {
        return readVocabulary(file, vocab).tokenizer();
    }

    /**
     * The first {@code vocab} tokens of a llama2.c tokenizer.bin as a SentencePiece vocabulary: spaces spelled "▁",
     * BOS and EOS (stored as "\n&lt;s&gt;\n") as "&lt;s&gt;" and "&lt;/s&gt;", token types inferred (0 unknown, 1 and 2 control,
     * {@code <0xXX>} bytes), as llama.cpp's converter writes them.
     */
    public static SentencePieceModel readVocabulary(Path file, int vocab) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String[] pieces = new String[vocab];
        float[] scores = new float[vocab];
        try {
            b.getInt();
            for (int i = 0; i < vocab; i++) {
                scores[i] = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new ModelFormatException(file + ": bad token length " + len);
                byte[] bytes = new byte[len];
                b.get(bytes);
                String piece = new String(bytes, StandardCharsets.UTF_8);
                pieces[i] = i == BOS || i == EOS ? piece.strip() : piece.replace(' ', '\u2581');
            }
        } catch (BufferUnderflowException e) {
            throw new ModelFormatException(file + ": tokenizer file ends before " + vocab + " tokens");
        }
        var inferred = new Vocabulary(pieces, null, BOS, EOS, UNK, true, new int[0], null);
        TokenType[] types = new TokenType[vocab];
        for (int i = 0; i < vocab; i++) types[i] = inferred.type(i);
        return new SentencePieceModel(pieces, scores, types, UNK, BOS, EOS, true);
    }

    /** The number of tokens in a llama2.c tokenizer.bin (read to its end). */
    public static int countTokens(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        try {
            b.getInt();
            while (b.hasRemaining()) {
                b.getFloat();
                int len = b.getInt();
                b.position(b.position() + len);
                n++;
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new ModelFormatException(file + ": not a llama2.c tokenizer file");
        }
        return n;
    }

    private static final class Reader {
        final MemorySegment file;
        final Path path;
        long offset = 28;

        Reader(MemorySegment file, Path path) {
            this.file = file;
            this.path = path;
        }

        FloatTensor next(long floats) {
            if (offset + floats * 4 > file.byteSize()) throw new ModelFormatException(path + ": checkpoint is truncated");
            var t = new F32Tensor(floats, file.asSlice(offset, floats * 4));
            offset += floats * 4;
            return t;
        }

        FloatTensor[] matrices(int layers, long floats) {
            FloatTensor[] m = new FloatTensor[layers];
            for (int l = 0; l < layers; l++) m[l] = next(floats);
            return m;
        }

        float[][] rows(int layers, int dim) {
            float[][] a = new float[layers][];
            for (int l = 0; l < layers; l++) a[l] = next(dim).toFloatArray();
            return a;
        }

        void skip(long floats) {
            offset += floats * 4;
        }
    }
}
