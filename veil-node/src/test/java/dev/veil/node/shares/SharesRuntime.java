package dev.veil.node.shares;

import dev.veil.engine.model.Model;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** Two weights servers on loopback sockets (server A optionally behind a wrapper) and a shares node connected to both. */
final class SharesRuntime implements AutoCloseable {
    final WeightsServer weightsA, weightsB;
    final TcpServer serverA, serverB;
    final SharesNode node;

    SharesRuntime(Model model, SharesConfig config, TranscriptWriter transcriptA, TranscriptWriter transcriptB,
            UnaryOperator<Service> wrapA)
            throws Exception {
        weightsA = new WeightsServer("test-model", model.config(), model.linear(), transcriptA);
        weightsB = new WeightsServer("test-model", model.config(), model.linear(), transcriptB);
        serverA = TcpServer.start(wrapA.apply(weightsA), "127.0.0.1", 0, null);
        serverB = TcpServer.start(weightsB, "127.0.0.1", 0, null);
        node = SharesNode.connect(model, "test-model", TcpChannel.connect("127.0.0.1", serverA.port(), null, Duration.ofSeconds(30)),
                TcpChannel.connect("127.0.0.1", serverB.port(), null, Duration.ofSeconds(30)), config);
    }

    SharesRuntime(Model model, SharesConfig config) throws Exception {
        this(model, config, null, null, s -> s);
    }

    @Override
    public void close() {
        node.close();
        serverA.close();
        serverB.close();
        weightsA.close();
        weightsB.close();
    }
}
