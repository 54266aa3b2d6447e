package dev.veil.node.remo;

import dev.veil.engine.model.Model;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/** A weights server on a loopback socket and a trusted node connected to it, for tests. */
final class SplitRuntime implements AutoCloseable {
    final WeightsServer weights;
    final TcpServer server;
    final RemoNode node;

    SplitRuntime(Model model, RemoConfig config, TranscriptWriter transcript) throws Exception {
        weights = new WeightsServer("test-model", model.config(), model.linear(), transcript);
        server = TcpServer.start(weights, "127.0.0.1", 0, null);
        node = RemoNode.connect(model, "test-model", TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(30)), config);
    }

    @Override
    public void close() {
        node.close();
        server.close();
        weights.close();
    }
}
