package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trusted node's class path (its dependencies, even its tests') holds neither ONNX Runtime nor Veil's ONNX export
 * and engine: those are the untrusted weights side's (veil-onnx, docs/onnx.md). A dependency that brought them in fails here.
 */
class NoOnnxOnTheNodeTest {
    @Test
    void theNodesClassPathHasNoOnnxRuntime() {
        for (String name : List.of("ai.onnxruntime.OrtEnvironment", "dev.veil.onnx.OrtEngine", "dev.veil.onnx.Exporter")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name, false, getClass().getClassLoader()), name);
        }
    }
}
