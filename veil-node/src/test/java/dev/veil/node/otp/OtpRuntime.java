package dev.veil.node.otp;

import dev.veil.engine.model.Model;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A weights server on a loopback socket (optionally behind a wrapper) and a one-time-pad node connected to it. */
final class OtpRuntime implements AutoCloseable {
    final WeightsServer weights;
    final TcpServer server;
    final OtpNode node;

    OtpRuntime(Model model, OtpConfig config, TranscriptWriter transcript, UnaryOperator<Service> wrap) throws Exception {
        weights = new WeightsServer("test-model", model.config(), model.linear(), transcript);
        server = TcpServer.start(wrap.apply(weights), "127.0.0.1", 0, null);
        node = OtpNode.connect(model, "test-model", TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(30)), config);
    }

    OtpRuntime(Model model, OtpConfig config) throws Exception {
        this(model, config, null, s -> s);
    }

    @Override
    public void close() {
        node.close();
        server.close();
        weights.close();
    }
}
