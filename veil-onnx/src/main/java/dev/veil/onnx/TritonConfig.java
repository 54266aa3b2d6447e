package dev.veil.onnx;

import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;

/**
 * A matrix's config.pbtxt for Triton's ONNX Runtime backend (text format of Triton's model_config.proto, ModelConfig):
 * one input {@code x} and one output {@code y}, rows batched by Triton (max_batch_size; dims without the batch row),
 * dynamic batching on, one instance of the export's kind.
 */
final class TritonConfig {
    private TritonConfig() {}

    static String text(String name, Numeric numeric, Exporter.Device device, int rows, int cols) {
        String type = numeric.ring == null ? "TYPE_FP32" : numeric.ring == Ring.Z64 ? "TYPE_INT64" : "TYPE_INT32";
        return """
                name: "%s"
                backend: "onnxruntime"
                max_batch_size: %d
                input [
                  {
                    name: "x"
                    data_type: %s
                    dims: [ %d ]
                  }
                ]
                output [
                  {
                    name: "y"
                    data_type: %s
                    dims: [ %d ]
                  }
                ]
                dynamic_batching { }
                instance_group [
                  {
                    count: 1
                    kind: KIND_%s
                  }
                ]
                parameters {
                  key: "veil_numeric"
                  value: { string_value: "%s" }
                }
                """.formatted(name, Exporter.maxBatchRows(), type, cols, type, rows, device, numeric);
    }
}
