package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.cmif.CmifNode;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/** CMIF's roles in one process: a weights server running the decoder stack and a CMIF node, joined in memory. */
public final class CmifInProcess implements AutoCloseable {
    public final WeightsServer server;
    public final CmifNode node;

    public CmifInProcess(Model model, String modelId, Sanitizer sanitizer) {
        server = new WeightsServer(modelId, model.config(), model.linear(), model.node(), null);
        node = CmifNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)), sanitizer);
    }

    @Override
    public void close() {
        node.close();
        server.close();
    }
}
