package dev.veil.cli;

import dev.veil.onnx.OrtEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** The weights server's engine: Veil's own on the model file, or ONNX Runtime on exports written by `veil export` (docs/onnx.md). */
final class OnnxEngineOptions {
    @Option(names = "--engine", defaultValue = "java", paramLabel = "java|onnxruntime",
            description = "what computes the products: java (Veil's kernels on --model) or onnxruntime (ONNX Runtime on --repository) "
                    + "(default: ${DEFAULT-VALUE})")
    String engine;

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
                if (!repositories.isEmpty()) throw new IllegalArgumentException("--repository is for --engine onnxruntime");
                if (model == null) throw new IllegalArgumentException("give --model (or --engine onnxruntime --repository DIR)");
                return null;
            }
            case "onnxruntime", "ort" -> {
                if (model != null) {
                    throw new IllegalArgumentException("--engine onnxruntime serves the weights of its --repository: drop --model");
                }
                if (repositories.isEmpty()) {
                    throw new IllegalArgumentException("--engine onnxruntime needs --repository DIR (write one with veil export)");
                }
                if (threads < 0) throw new IllegalArgumentException("--onnx-threads must be 0 or more");
                return OrtEngine.open(repositories, OrtEngine.Device.parse(device), threads);
            }
            default -> throw new IllegalArgumentException("unknown --engine '" + engine + "' (java, onnxruntime)");
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
