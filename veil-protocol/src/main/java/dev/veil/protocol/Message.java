package dev.veil.protocol;

import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingStream;

/**
 * Everything that crosses between a trusted node and a weights server (PROTOCOL.md). Talaria's requests carry
 * only public bases and masked activations, replies only products with the weights; there is no field for a
 * token, a mask's seed or a session, so the server keeps no per-session state ({@link SeededLinear} carries the seed
 * of the server's whole input: a share that is independent of the prompt). CMIF's {@link Decode} is the one
 * exception: the server runs the whole decoder stack on (sanitized) input embeddings and keeps the session's
 * KV cache, named by a random handle the node draws.
 */
public sealed interface Message {
    /** Node → server, first on a connection: which model the node runs. */
    record Hello(String modelId) implements Message {}

    /** Server → node: the model it serves and the largest frame it accepts. */
    record Welcome(String modelId, ModelDims shape, int maxFrameBytes) implements Message {}

    /** Node → server, once per matrix and deployment: the public base Mpub (m × d_in). */
    record Setup(MatrixId matrix, Rows base) implements Message {}

    /**
     * Server → node: the restoration pool Rpub = Mpub·Wᵀ (m × d_out) and, in ring mode, the row scales of the
     * quantized weights (d_out values; empty for float).
     */
    record SetupReply(Rows restoration, float[] rowScales) implements Message {}

    /** Node → server, per outsourced call: masked activations Ê (n × d_in). */
    record Linear(MatrixId matrix, Rows input) implements Message {}

    /**
     * Node → server (version 2): a ring {@link Linear} whose input is the stream of a 32-byte seed
     * ({@link RingStream}): {@code rows × cols} elements uniform over {@code ring}, which the server expands itself.
     * Under {@code shares} server B's share is pseudo-random, so it travels as its seed; what B can compute from
     * the call is what it could compute from the expanded rows. Answered by a {@link LinearReply}.
     */
    record SeededLinear(MatrixId matrix, Ring ring, int rows, int cols, byte[] seed) implements Message {
        /**
         * The most bytes one seeded call may expand to and be answered with, rows·(d_in + d_out)·element bytes: a
         * server refuses more ({@code TOO_LARGE}), so a 58-byte frame buys at most this (about 290,000 times itself).
         */
        public static final long MAX_BYTES = 16L << 20;

        public SeededLinear {
            if (rows < 0 || cols < 0 || (long) rows * cols > Integer.MAX_VALUE / 8) {
                throw new IllegalArgumentException("a seeded block of " + rows + "x" + cols + " values");
            }
            if (seed.length != RingStream.SEED_BYTES) {
                throw new IllegalArgumentException("a seed has " + RingStream.SEED_BYTES + " bytes, got " + seed.length);
            }
        }

        /** Bytes of the block once expanded. */
        public long expandedBytes() {
            return (long) rows * cols * ring.bytes();
        }

        /** The same call with its input expanded: what the server multiplies. */
        public Linear expand() {
            return new Linear(matrix, new Rows.RingElements(ring, rows, cols, RingStream.expand(ring, seed, rows * cols)));
        }
    }

    /**
     * Server → node: Ô = Ê·Wᵀ (n × d_out), with the time the call spent in the server (queue and multiply). It
     * carries nothing about other callers: not the rows of the batch it shared.
     */
    record LinearReply(Rows output, long serverNanos) implements Message {}

    /**
     * Node → server (CMIF): run the decoder layers on a session's input hidden states (n × dim embeddings of
     * sanitized tokens) at positions {@code position ..}; position 0 starts the session afresh, a position
     * before the session's end rewinds it.
     */
    record Decode(long session, int position, Rows hidden) implements Message {}

    /** Server → node (CMIF): the hidden states after the last layer (n × dim), and the server's compute time. */
    record DecodeReply(Rows hidden, long serverNanos) implements Message {}

    /** Node → server (CMIF): forget a session's KV cache. */
    record EndSession(long session) implements Message {}

    /** Server → node (CMIF): the session is gone (also when it was unknown). */
    record SessionEnded(long session) implements Message {}

    /** Node → server, before HELLO when the server requires attestation: asks for a fresh nonce. */
    record Challenge() implements Message {}

    /** Server → node: a fresh single-use nonce that the node's evidence must carry. */
    record Nonce(byte[] nonce) implements Message {}

    /**
     * Node → server: attestation evidence of kind {@code kind} ({@code sev-snp} or {@code simulated}): the raw
     * report, and the certificates that sign it (PEM; empty when the verifier holds them).
     */
    record Evidence(String kind, byte[] report, byte[] certificates) implements Message {}

    /** Server → node: the evidence met the server's policy (a one-line summary of what it accepted). */
    record Attested(String summary) implements Message {}

    /** Either way: the request failed. */
    record Error(ErrorCode code, String text) implements Message {}
}
