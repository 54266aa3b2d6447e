package dev.veil.cli;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.gguf.GGUFFile;
import dev.veil.engine.gguf.GGUFTensorInfo;
import dev.veil.engine.model.GGUFModelLoader;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.protocol.Counts;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Describes a model file: format, metadata, configuration, tensors with types, shapes and sizes. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model file's metadata, configuration and tensors.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--items", defaultValue = "8", description = "array items shown per metadata value (default: ${DEFAULT-VALUE})")
    int items;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) throw new ModelFormatException("model file not found: " + model);
        var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (!ModelLoader.isGguf(model)) {
            Model m = ModelLoader.load(model, null, ModelParts.WEIGHTS);
            out.printf("%s: llama2.c checkpoint, %s%n", model, mb(Files.size(model)));
            out.println("model: " + describe(m.config()));
            out.println("weights: F32, " + mb(m.linear().byteSize()) + " of weight matrices");
            return 0;
        }
        GGUFFile f = GGUFFile.open(model);
        out.printf("%s: GGUF v%d, %s, alignment %d, %s, %s%n", model, f.version(), mb(f.fileSize()),
                f.alignment(), Counts.of(f.metadata().size(), "metadata value"), Counts.of(f.tensorInfos().size(), "tensor"));
        out.println("metadata:");
        f.metadata().forEach((k, v) -> out.printf("  %-44s %-10s %s%n", k, f.valueType(k) + (v.getClass().isArray() ? "[]" : ""),
                GGUFFile.format(v, items)));
        try {
            out.println("model: " + describe(GGUFModelLoader.config(f)));
        } catch (ModelFormatException e) {
            out.println("model: not loadable: " + e.getMessage());
        }
        out.println("tensors:");
        Map<GGMLType, long[]> byType = new TreeMap<>();
        long elements = 0;
        for (GGUFTensorInfo t : f.tensorList()) {
            out.printf("  %-32s %-5s %-16s %12d bytes%n", t.name(), t.type(), t.shape(), t.byteSize());
            long[] sum = byType.computeIfAbsent(t.type(), k -> new long[3]);
            sum[0]++;
            sum[1] += t.elements();
            sum[2] += t.byteSize();
            elements += t.elements();
        }
        byType.forEach((type, s) -> out.printf("  %s: %s, %,d %s, %s%s%n", type, Counts.of(s[0], "tensor"), s[1],
                Counts.noun(s[1], "value"), mb(s[2]),
                GGMLType.SUPPORTED.contains(type) ? "" : " (not supported by Veil)"));
        out.printf("total: %,d values in %s of tensor data%n", elements, mb(byType.values().stream().mapToLong(s -> s[2]).sum()));
        return 0;
    }

    static String describe(LlamaConfig c) {
        return String.format("%s, dim %d, hidden %d, %s, %s (%d kv, head size %d), vocab %d, context %d, "
                        + "rope theta %s (%s)%s, rms eps %s%s", c.architecture(), c.dim(), c.hiddenDim(), Counts.of(c.layers(), "layer"),
                Counts.of(c.heads(), "head"),
                c.kvHeads(), c.headDim(), c.vocabSize(), c.contextLength(), c.ropeTheta(),
                c.ropeStyle() == LlamaConfig.RopeStyle.ADJACENT ? "adjacent pairs" : "NEOX halves",
                c.ropeFreqFactors() == null ? "" : ", scaled frequencies", c.rmsEps(), c.qkNorm() ? ", QK norm" : "");
    }

    static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }
}
