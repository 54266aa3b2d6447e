package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.ring.Numeric;
import dev.veil.onnx.OrtEngine;
import dev.veil.onnx.RoutedEngine;
import dev.veil.protocol.ModelDims;
import dev.veil.weights.JavaLinearEngine;
import dev.veil.weights.LinearEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * The weights server's engine: Veil's own on the model file, ONNX Runtime on exports written by `veil export`, or the two
 * routed by a batch's rows (docs/onnx.md).
 */
final class OnnxEngineOptions {
    @Option(names = "--engine", defaultValue = "java", paramLabel = "java|onnxruntime|routed",
            description = "what computes the products: java (Veil's kernels on --model), onnxruntime (ONNX Runtime on --repository), "
                    + "or routed (both: batches below --engine-min-rows to java, larger ones to onnxruntime) (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--engine-min-rows", paramLabel = "N",
            description = "routed: rows from which a batch goes to ONNX Runtime, in every numeric mode (default: measured per mode, "
                    + "float 32, z32 32 (1 with --ring-graph int8), exact never; docs/onnx.md)")
    Integer minRows;

    @Option(names = "--repository", paramLabel = "DIR",
            description = "onnxruntime: a folder written by `veil export`; repeat it to serve several numeric modes (one export each)")
    List<Path> repositories = new ArrayList<>();

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda",
            description = "onnxruntime: where its sessions run; cuda needs ONNX Runtime's CUDA build (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--onnx-threads", defaultValue = "0", paramLabel = "N",
            description = "onnxruntime: threads per session, 0 for ONNX Runtime's default (default: ${DEFAULT-VALUE})")
    int threads;

    /** ONNX Runtime on the repositories, or null for Veil's own engine on {@code model}; a wrong combination is one line. */
    OrtEngine open(Path model) throws IOException {
        switch (engine.toLowerCase(Locale.ROOT)) {
            case "java" -> {
                if (!repositories.isEmpty()) throw new IllegalArgumentException("--repository is for --engine onnxruntime or routed");
                if (minRows != null) throw new IllegalArgumentException("--engine-min-rows is for --engine routed");
                if (model == null) throw new IllegalArgumentException("give --model (or --engine onnxruntime --repository DIR)");
                return null;
            }
            case "onnxruntime", "ort", "routed" -> {
                boolean routed = engine.equalsIgnoreCase("routed");
                if (model != null && !routed) {
                    throw new IllegalArgumentException("--engine onnxruntime serves the weights of its --repository: drop --model "
                            + "(or route between both engines with --engine routed)");
                }
                if (model == null && routed) {
                    throw new IllegalArgumentException("--engine routed needs --model (for the Java kernels) beside --repository");
                }
                if (minRows != null && !routed) throw new IllegalArgumentException("--engine-min-rows is for --engine routed");
                if (minRows != null && minRows < 1) throw new IllegalArgumentException("--engine-min-rows must be 1 or more");
                if (repositories.isEmpty()) {
                    throw new IllegalArgumentException("--engine onnxruntime needs --repository DIR (write one with veil export)");
                }
                if (threads < 0) throw new IllegalArgumentException("--onnx-threads must be 0 or more");
                return OrtEngine.open(repositories, OrtEngine.Device.parse(device), threads);
            }
            default -> throw new IllegalArgumentException("unknown --engine '" + engine + "' (java, onnxruntime, routed)");
        }
    }

    /**
     * The engine behind the server: {@code ort} itself, or with --engine routed ONNX Runtime and the Java kernels on
     * {@code model}'s weight matrices, refused when they are not of one model ({@link RoutedEngine#open}).
     */
    LinearEngine engine(OrtEngine ort, Path model) throws IOException {
        if (!engine.equalsIgnoreCase("routed")) return ort;
        try {
            Model m = ModelLoader.load(model, null, ModelParts.WEIGHTS);
            var thresholds = new EnumMap<Numeric, Integer>(RoutedEngine.defaults(ort));
            if (minRows != null) thresholds.replaceAll((n, r) -> minRows);
            return RoutedEngine.open(new JavaLinearEngine(m.config(), m.linear()), ModelDims.of(m.config()), ort, thresholds);
        } catch (IOException | RuntimeException e) {
            ort.close();
            throw e;
        }
    }

    /** Bytes of the repositories' files. */
    long bytes() {
        long sum = 0;
        for (Path dir : repositories) {
            try (Stream<Path> files = Files.walk(dir)) {
                sum += files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sum;
    }
}
