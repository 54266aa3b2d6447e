package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.otp.OtpNode;
import dev.veil.node.otp.OtpConfig;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/** remo-otp's roles in one process: a weights server and a one-time-pad node joined by the in-memory transport. */
final class OtpSplit implements AutoCloseable {
    final WeightsServer server;
    final OtpNode node;

    /** @param transcript where the weights server records every call, or null */
    OtpSplit(Model model, String modelId, OtpConfig config, TranscriptWriter transcript) {
        server = new WeightsServer(modelId, model.config(), model.linear(), transcript);
        node = OtpNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)), config);
    }

    @Override
    public void close() {
        node.close();
        server.close();
    }
}
