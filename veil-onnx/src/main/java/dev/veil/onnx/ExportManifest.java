package dev.veil.onnx;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * What an export's folder holds besides the ONNX models, in {@value #FILE} at its root: the model's dimensions (all a
 * weights server needs to check calls), the numeric mode, and per matrix its model's name (the node's OIP name, which is
 * the model's folder) and shape. A ring model's row scales are its second output, {@code row_scales}.
 *
 * @param format this layout's version
 * @param model the model file exported (its name)
 * @param modelId the name nodes ask for
 * @param numeric float, z64 (exact) or z32
 * @param ringGraph a ring's graph, int or f64 ({@link Exporter.RingGraph}); null in float mode
 * @param kind the Triton instance kind written (KIND_CPU or KIND_GPU), or null for a plain ONNX export
 */
public record ExportManifest(int format, String model, String modelId, String numeric, String ringGraph, String kind, ModelDims dims,
        List<Matrix> matrices) {
    public static final String FILE = "veil-export.json";
    /** Layout 2: models named as the node asks (blk.0.attn_qkv.z64), tensors input/output/row_scales (1: qkv_0, x/y, side files). */
    public static final int FORMAT = 2;

    /**
     * One exported matrix: {@code y[n, rows] = x[n, cols] · W^T}.
     *
     * @param name its model's name (folder): blk.0.attn_qkv.z64, ..., output.z64 (Oip.name)
     * @param onnx its ONNX file, relative to the export's root
     */
    public record Matrix(String name, String projection, int layer, int rows, int cols, String onnx) {
        public MatrixId id() {
            return new MatrixId(Projection.valueOf(projection), layer);
        }
    }

    public Numeric numericMode() {
        return Numeric.parse(numeric);
    }

    /** Reads {@code dir}'s manifest, with a one-line error when it is missing or not one. */
    public static ExportManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        ExportManifest m;
        try {
            m = mapper().readValue(Files.readAllBytes(file), ExportManifest.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(dir + " is not a Veil export (no " + FILE + "): write one with veil export");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + " is not a Veil export manifest: " + e.getOriginalMessage());
        }
        if (m.format != FORMAT) {
            throw new IllegalArgumentException(file + " has layout version " + m.format + "; this Veil reads " + FORMAT
                    + ": export the model again");
        }
        return m;
    }

    void write(Path dir) throws IOException {
        Files.write(dir.resolve(FILE), mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
}
