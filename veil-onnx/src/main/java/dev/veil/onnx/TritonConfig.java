package dev.veil.onnx;

import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.oip.Oip;

/**
 * A matrix's config.pbtxt for Triton's ONNX Runtime backend (text format of Triton's model_config.proto, ModelConfig),
 * shaped as the node's OIP client asks (docs/oip.md): one input {@code input} [-1, d_in] and one output {@code output}
 * [-1, d_out], the rows of a call being the first dimension, and for a ring the output {@code row_scales} [d_out], which
 * has no rows. Hence a non-batching model ({@code max_batch_size: 0}: Triton prepends no batch dimension, and its dynamic
 * batcher, which splits every output by rows, is not configured); one instance of the export's kind.
 */
final class TritonConfig {
    private TritonConfig() {}

    static String text(String name, Numeric numeric, Exporter.Device device, int rows, int cols) {
        String type = numeric.ring == null ? "TYPE_FP32" : numeric.ring == Ring.Z64 ? "TYPE_INT64" : "TYPE_INT32";
        String scales = numeric.ring == null ? "" : """
                  ,
                  {
                    name: "%s"
                    data_type: TYPE_FP32
                    dims: [ %d ]
                  }
                """.formatted(Oip.ROW_SCALES, rows);
        return """
                name: "%s"
                backend: "onnxruntime"
                max_batch_size: 0
                input [
                  {
                    name: "%s"
                    data_type: %s
                    dims: [ -1, %d ]
                  }
                ]
                output [
                  {
                    name: "%s"
                    data_type: %s
                    dims: [ -1, %d ]
                  }
                %s]
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
                """.formatted(name, Oip.INPUT, type, cols, Oip.OUTPUT, type, rows, scales, device, numeric);
    }
}
