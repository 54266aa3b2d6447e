package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.oip.Oip;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every exported config.pbtxt read by Triton's own schema (model_config.proto, vendored with its compiled descriptor
 * set: src/test/resources/triton/README.md) with protobuf's TextFormat parser, which refuses an unknown field or enum
 * value as Triton's loader does; and every exported model loaded by ONNX Runtime.
 */
class TritonConfigTest {
    static Descriptor modelConfig;

    @BeforeAll
    static void schema() throws Exception {
        try (InputStream in = TritonConfigTest.class.getResourceAsStream("/triton/model_config.desc")) {
            var set = FileDescriptorSet.parseFrom(in);
            assertEquals(1, set.getFileCount(), "model_config.proto imports nothing");
            modelConfig = FileDescriptor.buildFrom(set.getFile(0), new FileDescriptor[0]).findMessageTypeByName("ModelConfig");
        }
    }

    static Message parse(String text) throws TextFormat.ParseException {
        var b = DynamicMessage.newBuilder(modelConfig);
        TextFormat.getParser().merge(text, b);
        return b.build();
    }

    @Test
    void everyConfigOfEveryModeParsesAgainstTritonsSchema(@TempDir Path dir) throws Exception {
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        for (Numeric numeric : Numeric.values()) {
            Path out = dir.resolve(numeric.toString());
            var device = numeric == Numeric.FLOAT ? Exporter.Device.GPU : Exporter.Device.CPU;
            var manifest = Exporter.export(m.config(), m.linear(), "stories260K.bin", "stories", numeric, Exporter.Format.TRITON, device,
                    out, name -> {});
            assertEquals(21, manifest.matrices().size()); // 5 layers × 4 + the LM head
            String type = switch (numeric) {
                case FLOAT -> "TYPE_FP32";
                case Z64 -> "TYPE_INT64";
                case Z32 -> "TYPE_INT32";
            };
            for (var x : manifest.matrices()) {
                assertEquals(Oip.name(x.id(), numeric.ring), x.name(), "the model the node asks for");
                Message c = parse(Files.readString(out.resolve(x.name()).resolve("config.pbtxt")));
                assertEquals(x.name(), field(c, "name"));
                assertEquals("onnxruntime", field(c, "backend"));
                assertEquals(0, field(c, "max_batch_size"), "the rows of a call are the first dimension, row_scales has none");
                List<?> inputs = (List<?>) field(c, "input"), outputs = (List<?>) field(c, "output");
                assertEquals(1, inputs.size());
                assertEquals(numeric.ring == null ? 1 : 2, outputs.size());
                Message input = (Message) inputs.getFirst(), output = (Message) outputs.getFirst();
                assertEquals(Oip.INPUT, field(input, "name"));
                assertEquals(Oip.OUTPUT, field(output, "name"));
                assertEquals(type, field(input, "data_type").toString());
                assertEquals(type, field(output, "data_type").toString());
                assertEquals(List.of(-1L, (long) x.cols()), field(input, "dims"));
                assertEquals(List.of(-1L, (long) x.rows()), field(output, "dims"));
                if (numeric.ring != null) {
                    Message scales = (Message) outputs.get(1);
                    assertEquals(Oip.ROW_SCALES, field(scales, "name"));
                    assertEquals("TYPE_FP32", field(scales, "data_type").toString());
                    assertEquals(List.of((long) x.rows()), field(scales, "dims"));
                }
                assertFalse(c.hasField(modelConfig.findFieldByName("dynamic_batching")), "Triton's batcher would split row_scales by rows");
                Message group = (Message) ((List<?>) field(c, "instance_group")).getFirst();
                assertEquals("KIND_" + device, field(group, "kind").toString());
                assertTrue(Files.isRegularFile(out.resolve(x.name()).resolve("1/model.onnx")));
                assertEquals(x.name() + "/1/model.onnx", x.onnx());
            }
            assertEquals(manifest, ExportManifest.read(out));
            try (var engine = OrtEngine.open(List.of(out), OrtEngine.Device.CPU, 1)) { // loads every model
                assertEquals(java.util.Set.of(numeric), engine.numerics());
            }
        }
    }

    @Test
    void theParserRefusesWhatTritonWould() {
        assertThrows(TextFormat.ParseException.class, () -> parse("name: \"m\"\nmax_batch_sise: 4\n"));
        assertThrows(TextFormat.ParseException.class, () -> parse("name: \"m\"\ninstance_group [ { kind: KIND_TPU } ]\n"));
    }

    private static Object field(Message m, String name) {
        return m.getField(m.getDescriptorForType().findFieldByName(name));
    }
}
