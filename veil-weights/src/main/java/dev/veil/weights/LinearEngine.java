package dev.veil.weights;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;

/**
 * What computes a weights server's products: the seam between Veil's protocol side (batching, limits, peers) and
 * the code that holds the weight matrices. {@link JavaLinearEngine} is Veil's own; another engine (ONNX Runtime,
 * module veil-onnx) must give ring products bit for bit as it does, and float products within the float kernels'
 * tolerance. Calls come from one thread at a time (the batcher's), already checked against the model's shape.
 */
public interface LinearEngine extends AutoCloseable {
    /**
     * x·Wᵀ for matrix {@code id}: float rows give float rows; ring rows give the wrap-around integer product in their
     * ring, each value its ring's signed representative ({@link Ring#wrap}).
     */
    Rows multiply(MatrixId id, Rows x);

    /** The scale of each output row of {@code id}'s integer weights in {@code ring}, sent with a setup reply. */
    float[] rowScales(MatrixId id, Ring ring);

    /** Bytes held beside the model's own weights (integer copies for the rings), for a benchmark's report. */
    default long extraBytes() {
        return 0;
    }

    /**
     * Rows one batch may take however wide the matrix (past them, at most {@link LinearBatcher#BATCH_MACS} multiply-adds
     * a batch): Veil's kernels reach their speed at 16 rows; an engine that needs larger batches to gain (ONNX Runtime)
     * asks for more, and another peer's call then waits behind a longer multiply.
     */
    default int minBatchRows() {
        return LinearBatcher.MIN_BATCH_ROWS;
    }

    /** Counters of the engine's own in Prometheus' text format (a routing engine's batches per engine). */
    default void prometheus(StringBuilder out) {}

    /** A short name for logs: "java", "onnxruntime (cpu)". */
    String describe();

    @Override
    default void close() {}
}
