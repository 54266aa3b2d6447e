package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.ring.Numeric;
import dev.veil.onnx.Exporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a model's linear matrices as ONNX models, as a Triton model repository (docs/onnx.md). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write every linear matrix of a model as an ONNX model y = x·Wᵀ, laid out as a Triton model",
                "repository (NAME/1/model.onnx, NAME/config.pbtxt), with veil-export.json: what",
                "`veil weights-server --engine onnxruntime --repository DIR` serves (docs/onnx.md)."})
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint (its weight matrices are exported)")
    Path model;

    @Option(names = "--model-id", description = "name nodes must ask for (default: the model's file name)")
    String modelId;

    @Option(names = "--format", defaultValue = "triton", paramLabel = "onnx|triton",
            description = "triton: the ONNX models and a config.pbtxt each; onnx: the ONNX models only (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--numeric", defaultValue = "exact", paramLabel = "float|exact|z32",
            description = "float: float16 weights, float products; exact: the weights server's 16-bit integer weights, products in "
                    + "Z_2^64 (int64); z32: 8-bit weights, products in Z_2^32 (int32) (default: ${DEFAULT-VALUE})")
    String numeric;

    @Option(names = "--ring-graph", defaultValue = "f64", paramLabel = "f64|int|int8",
            description = "exact, z32: how the models compute the (identical) ring products: f64, exact float64 MatMuls on 22-bit limbs of "
                    + "the input (ONNX Runtime's fast GEMM); int, one int64 (int32) MatMul; int8, 8-bit MatMulInteger on 7-bit limbs "
                    + "(for CUDA, which has no integer MatMul) (default: ${DEFAULT-VALUE})")
    String ringGraph;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu",
            description = "triton: the models' instance kind, KIND_CPU or KIND_GPU (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--out", required = true, description = "folder to write (new or empty)")
    Path out;

    @Override
    public Integer call() throws Exception {
        var fmt = switch (format.toLowerCase(Locale.ROOT)) {
            case "onnx" -> Exporter.Format.ONNX;
            case "triton" -> Exporter.Format.TRITON;
            default -> throw new IllegalArgumentException("unknown --format '" + format + "' (onnx, triton)");
        };
        var dev = switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> Exporter.Device.CPU;
            case "gpu", "cuda" -> Exporter.Device.GPU;
            default -> throw new IllegalArgumentException("unknown --device '" + device + "' (cpu, gpu)");
        };
        if (dev == Exporter.Device.GPU && fmt == Exporter.Format.ONNX) {
            throw new IllegalArgumentException("--device is Triton's: add --format triton");
        }
        Numeric mode = Numeric.parse(numeric);
        if (Files.isRegularFile(out)) throw new IllegalArgumentException(out + " is a file: give a folder to export into");
        Model m = ModelLoader.load(model, null, ModelParts.WEIGHTS);
        String id = modelId != null ? modelId : model.getFileName().toString();
        long t0 = System.nanoTime();
        var graph = Exporter.RingGraph.parse(ringGraph);
        var manifest = Exporter.export(m.config(), m.linear(), model.getFileName().toString(), id, mode, graph, fmt, dev, out,
                name -> System.err.print("."));
        System.err.println();
        long bytes;
        try (Stream<Path> files = Files.walk(out)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        String what = switch (mode) {
            case Z64 -> "exact: int64 products of int16 weights, " + graph + " graph";
            case Z32 -> "z32: int32 products of int8 weights, " + graph + " graph";
            case FLOAT -> "float: float16 weights";
        };
        System.out.printf(Locale.ROOT, "wrote %s: %d ONNX models of '%s' (%s), %s layout%s, %.1f MB (%.1f s)%n", out,
                manifest.matrices().size(), id, what, fmt.name().toLowerCase(Locale.ROOT),
                fmt == Exporter.Format.TRITON ? " (KIND_" + dev + ")" : "", bytes / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
