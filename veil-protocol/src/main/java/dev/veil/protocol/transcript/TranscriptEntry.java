package dev.veil.protocol.transcript;

import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;

/**
 * One call as the weights server saw it: which connection it came on, when (nanoseconds since the transcript
 * began), the request and the reply it sent.
 */
public record TranscriptEntry(int connection, long nanos, Message request, Message reply) {
    /** A setup call: {@link #input()} is the public base Mpub, {@link #output()} the pool Rpub. */
    public boolean isSetup() {
        return request instanceof Message.Setup;
    }

    /** A masked linear call: {@link #input()} is Ê (a seeded call's expanded rows), {@link #output()} is Ô. */
    public boolean isLinear() {
        return request instanceof Message.Linear || request instanceof Message.SeededLinear;
    }

    /** A CMIF decoder-stack call: {@link #input()} is the input embeddings, {@link #output()} the final hidden states. */
    public boolean isDecode() {
        return request instanceof Message.Decode;
    }

    /** The matrix the call was about, or null (hello, decode). */
    public MatrixId matrix() {
        return switch (request) {
            case Message.Setup s -> s.matrix();
            case Message.Linear l -> l.matrix();
            case Message.SeededLinear l -> l.matrix();
            default -> null;
        };
    }

    /** What the server received: Mpub for setup, Ê for a linear call, input embeddings for a decode; null otherwise. */
    public Rows input() {
        return switch (request) {
            case Message.Setup s -> s.base();
            case Message.Linear l -> l.input();
            case Message.SeededLinear l -> l.expand().input(); // the seed determines the rows: the server's view is the same
            case Message.Decode d -> d.hidden();
            default -> null;
        };
    }

    /** What the server returned: Rpub, Ô or final hidden states; null when the call failed or carried no tensor. */
    public Rows output() {
        return switch (reply) {
            case Message.SetupReply s -> s.restoration();
            case Message.LinearReply l -> l.output();
            case Message.DecodeReply d -> d.hidden();
            default -> null;
        };
    }
}
