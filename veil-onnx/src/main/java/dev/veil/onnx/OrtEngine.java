package dev.veil.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Oip;
import dev.veil.weights.LinearEngine;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ONNX Runtime as a weights server's engine: one session per exported matrix (veil export), per numeric mode
 * exported, each found by its repository name, the node's OIP name ({@code DIR/blk.0.attn_qkv.z64/1/model.onnx}), and run
 * by its tensors' names ({@code input}, {@code output}; a ring model's {@code row_scales} read once, at load). Ring
 * products come from ONNX Runtime's integer MatMul, which wraps modulo 2^64 (int64) or 2^32 (int32) on the CPU, or from
 * exact float64 products on limbs, so they are bit for bit the Java engine's; float products are within the float
 * kernels' tolerance (float16 weights). A call in a numeric mode no repository was exported for is refused with a one-line error.
 */
public final class OrtEngine implements LinearEngine {
    /** Where the sessions run. */
    public enum Device {
        CPU, CUDA;

        public static Device parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "cpu" -> CPU;
                case "cuda", "gpu" -> CUDA;
                default -> throw new IllegalArgumentException("unknown device '" + s + "' (cpu, cuda)");
            };
        }
    }

    /** Rows a batch may always take: a 128-token prefill whole, measured with veil bench engines (BENCHMARKS.md, "Routing"). */
    public static final int MIN_BATCH_ROWS = 128;

    private record Entry(OrtSession session, int cols, int rows, float[] rowScales) {}

    /** The output a product asks for (a ring model's row scales are read once, at load). */
    private static final java.util.Set<String> OUTPUT = java.util.Set.of(Oip.OUTPUT);

    private final OrtEnvironment env;
    private final String modelId;
    private final ModelDims dims;
    private final Device device;
    private final Map<Numeric, Map<MatrixId, Entry>> sessions = new EnumMap<>(Numeric.class);
    private final List<ExportManifest> manifests = new ArrayList<>();
    private final Map<Numeric, String> ringGraphs = new EnumMap<>(Numeric.class);

    private OrtEngine(OrtEnvironment env, String modelId, ModelDims dims, Device device) {
        this.env = env;
        this.modelId = modelId;
        this.dims = dims;
        this.device = device;
    }

    /**
     * Opens the exports in {@code repositories} (one per numeric mode, all of one model) on {@code device}, with
     * {@code threads} threads per session (0: ONNX Runtime's default). Fails with a one-line message when a folder is
     * not an export, two disagree, or the device's provider is missing.
     */
    public static OrtEngine open(List<Path> repositories, Device device, int threads) throws IOException {
        if (repositories.isEmpty()) throw new IllegalArgumentException("give at least one --repository (a folder written by veil export)");
        if (device == Device.CUDA && !OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            throw new IllegalArgumentException("this ONNX Runtime has no CUDA provider (available: "
                    + OrtEnvironment.getAvailableProviders()
                    + "); run with --device cpu, or put com.microsoft.onnxruntime:onnxruntime_gpu on the class path");
        }
        OrtEngine engine = null;
        try {
            for (Path dir : repositories) {
                ExportManifest m = ExportManifest.read(dir);
                if (engine == null) engine = new OrtEngine(OrtEnvironment.getEnvironment(), m.modelId(), m.dims(), device);
                engine.add(dir, m, threads);
            }
            return engine;
        } catch (OrtException e) {
            if (engine != null) engine.close();
            throw new IllegalArgumentException("ONNX Runtime cannot load the export: " + e.getMessage());
        } catch (RuntimeException | IOException e) {
            if (engine != null) engine.close();
            throw e;
        }
    }

    private void add(Path dir, ExportManifest m, int threads) throws IOException, OrtException {
        if (!m.modelId().equals(modelId) || !m.dims().equals(dims)) {
            throw new IllegalArgumentException(dir + " holds another model (" + m.modelId() + ", " + m.dims()
                    + ") than the first repository ("
                    + modelId + ", " + dims + ")");
        }
        Numeric numeric = m.numericMode();
        if (sessions.containsKey(numeric)) throw new IllegalArgumentException("two repositories of numeric mode " + numeric + ": give one");
        Map<MatrixId, Entry> byId = new HashMap<>();
        sessions.put(numeric, byId);
        for (ExportManifest.Matrix x : m.matrices()) {
            MatrixId id = x.id();
            if (!dims.has(id) || dims.outDim(id.projection()) != x.rows() || dims.inDim(id.projection()) != x.cols()) {
                throw new IllegalArgumentException(dir + ": " + x.name() + " is " + x.rows() + "x" + x.cols() + ", not a matrix of "
                        + dims);
            }
            String name = Oip.name(id, numeric.ring); // what the node asks for, and the repository's folder
            if (!x.name().equals(name)) throw new IllegalArgumentException(dir + ": " + id + " is named " + x.name() + ", not " + name);
            Path file = dir.resolve(name).resolve("1").resolve("model.onnx");
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + " lacks " + dir.relativize(file));
            try (var options = new OrtSession.SessionOptions()) {
                if (threads > 0) options.setIntraOpNumThreads(threads);
                // no busy-waiting between calls: the server's transport and batcher threads share these cores
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
                if (device == Device.CUDA) options.addCUDA(0);
                var session = env.createSession(file.toString(), options);
                try {
                    byId.put(id, new Entry(session, x.cols(), x.rows(), rowScales(name, session, numeric.ring, x.cols(), x.rows())));
                } catch (RuntimeException | OrtException e) {
                    session.close();
                    throw e;
                }
            }
        }
        for (var p : dev.veil.engine.inference.Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? dims.layers() : 1); l++) {
                if (!byId.containsKey(new MatrixId(p, l))) throw new IllegalArgumentException(dir + " lacks matrix " + new MatrixId(p, l));
            }
        }
        manifests.add(m);
        if (m.ringGraph() != null) ringGraphs.put(numeric, m.ringGraph());
    }

    /**
     * Checks {@code session} has the tensors the node's names call for, and reads a ring model's {@code row_scales} (a
     * constant of its graph) once, with one zero row; null for float.
     */
    private float[] rowScales(String name, OrtSession session, Ring ring, int cols, int rows) throws OrtException {
        var outputs = ring == null ? java.util.Set.of(Oip.OUTPUT) : java.util.Set.of(Oip.OUTPUT, Oip.ROW_SCALES);
        if (!session.getInputNames().equals(java.util.Set.of(Oip.INPUT)) || !session.getOutputNames().equals(outputs)) {
            throw new IllegalArgumentException(name + " takes " + session.getInputNames() + " to " + session.getOutputNames() + ", not ["
                    + Oip.INPUT + "] to " + outputs + ": export the model again");
        }
        if (ring == null) return null;
        long[] shape = {1, cols};
        try (var in = ring == Ring.Z64 ? OnnxTensor.createTensor(env, LongBuffer.allocate(cols), shape)
                : OnnxTensor.createTensor(env, IntBuffer.allocate(cols), shape);
             var result = session.run(Map.of(Oip.INPUT, in), java.util.Set.of(Oip.ROW_SCALES))) {
            FloatBuffer b = ((OnnxTensor) result.get(0)).getFloatBuffer();
            if (b.remaining() != rows) throw new IllegalArgumentException(name + " has " + b.remaining() + " row scales, not " + rows);
            float[] s = new float[rows];
            b.get(s);
            return s;
        }
    }

    public String modelId() {
        return modelId;
    }

    public ModelDims dims() {
        return dims;
    }

    /** The ring graph ({@link Exporter.RingGraph}) of {@code numeric}'s export, or null (float, or not served). */
    public Exporter.RingGraph ringGraph(Numeric numeric) {
        String g = ringGraphs.get(numeric);
        return g == null ? null : Exporter.RingGraph.parse(g);
    }

    /** The numeric modes served. */
    public java.util.Set<Numeric> numerics() {
        return java.util.Collections.unmodifiableSet(sessions.keySet());
    }

    @Override
    public Rows multiply(MatrixId id, Rows x) {
        Entry e = entry(id, x instanceof Rows.RingElements r ? numeric(r.ring()) : Numeric.FLOAT);
        int n = x.rows();
        long[] shape = {n, e.cols};
        try {
            switch (x) {
                case Rows.Floats f -> {
                    float[] out = new float[Math.multiplyExact(n, e.rows)];
                    if (n > 0) {
                        try (var in = OnnxTensor.createTensor(env, FloatBuffer.wrap(f.data(), 0, n * e.cols), shape);
                             var result = e.session.run(Map.of(Oip.INPUT, in), OUTPUT)) {
                            ((OnnxTensor) result.get(0)).getFloatBuffer().get(out);
                        }
                    }
                    return new Rows.Floats(n, e.rows, out);
                }
                case Rows.RingElements r when r.ring() == Ring.Z64 -> {
                    long[] out = new long[Math.multiplyExact(n, e.rows)];
                    if (n > 0) {
                        try (var in = OnnxTensor.createTensor(env, LongBuffer.wrap(r.data(), 0, n * e.cols), shape);
                             var result = e.session.run(Map.of(Oip.INPUT, in), OUTPUT)) {
                            ((OnnxTensor) result.get(0)).getLongBuffer().get(out);
                        }
                    }
                    return new Rows.RingElements(r.ring(), n, e.rows, out);
                }
                case Rows.RingElements r -> {
                    long[] out = new long[Math.multiplyExact(n, e.rows)];
                    if (n > 0) {
                        int[] narrow = new int[n * e.cols];
                        long[] d = r.data();
                        for (int i = 0; i < narrow.length; i++) narrow[i] = (int) d[i]; // Z_2^32: the low 32 bits are the element
                        try (var in = OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
                             var result = e.session.run(Map.of(Oip.INPUT, in), OUTPUT)) {
                            IntBuffer y = ((OnnxTensor) result.get(0)).getIntBuffer();
                            for (int i = 0; i < out.length; i++) out[i] = y.get(i); // the signed representative, as Ring.wrap
                        }
                    }
                    return new Rows.RingElements(r.ring(), n, e.rows, out);
                }
            }
        } catch (OrtException ex) {
            throw new IllegalStateException("ONNX Runtime failed on " + id + ": " + ex.getMessage(), ex);
        }
    }

    /** ONNX Runtime gains on whole prefills, not on the 16-row batches Veil's kernels want (BENCHMARKS.md, "Routing"). */
    @Override
    public int minBatchRows() {
        return MIN_BATCH_ROWS;
    }

    @Override
    public float[] rowScales(MatrixId id, Ring ring) {
        return entry(id, numeric(ring)).rowScales.clone();
    }

    private static Numeric numeric(Ring ring) {
        return ring == Ring.Z64 ? Numeric.Z64 : Numeric.Z32;
    }

    private Entry entry(MatrixId id, Numeric numeric) {
        Map<MatrixId, Entry> byId = sessions.get(numeric);
        if (byId == null) {
            throw new ProtocolException(ErrorCode.SERVER_ERROR, "this weights server serves " + numerics() + " products only (ONNX "
                    + "Runtime, from its exports); it has none in " + numeric + ": export the model with --numeric "
                    + (numeric == Numeric.Z64 ? "exact" : numeric));
        }
        return byId.get(id);
    }

    @Override
    public String describe() {
        return "onnxruntime " + env.getVersion() + " (" + device.name().toLowerCase(Locale.ROOT) + "; " + numerics() + ")";
    }

    @Override
    public void close() {
        for (var byId : sessions.values()) {
            for (Entry e : byId.values()) {
                try {
                    e.session.close();
                } catch (OrtException ignored) {
                    // closing: nothing to do about it
                }
            }
        }
        sessions.clear();
    }
}
