package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/** Talaria's roles in one process: a weights server and a trusted node joined by the in-memory transport. */
final class InProcessSplit implements AutoCloseable {
    final WeightsServer server;
    final RemoNode node;

    InProcessSplit(Model model, String modelId, RemoConfig config) {
        this(model, modelId, config, null);
    }

    /** @param transcript where the weights server records every call, or null */
    InProcessSplit(Model model, String modelId, RemoConfig config, dev.veil.protocol.transcript.TranscriptWriter transcript) {
        server = new WeightsServer(modelId, model.config(), model.linear(), transcript);
        node = RemoNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)), config);
    }

    @Override
    public void close() {
        node.close();
        server.close();
    }
}
