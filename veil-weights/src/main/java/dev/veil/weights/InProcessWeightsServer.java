package dev.veil.weights;

import dev.veil.engine.model.Model;
import dev.veil.protocol.Message;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.protocol.transport.Traffic;
import java.time.Duration;

/**
 * A weights server in this process, reached through the in-memory transport (messages still pass the codec):
 * the local setting of every scheme. It serves masked linear calls and CMIF's decoder stack; closing the
 * channel stops the server.
 */
public final class InProcessWeightsServer implements Channel {
    private final WeightsServer server;
    private final InMemoryChannel channel;

    /** @param transcript where the server records every call, or null */
    public InProcessWeightsServer(Model model, String modelId, TranscriptWriter transcript) {
        this.server = new WeightsServer(modelId, model.config(), model.linear(), model.node(), transcript);
        this.channel = new InMemoryChannel(server, Duration.ofMinutes(10));
    }

    public WeightsServer server() {
        return server;
    }

    @Override
    public Message exchange(Message request) {
        return channel.exchange(request);
    }

    @Override
    public Traffic traffic() {
        return channel.traffic();
    }

    @Override
    public void close() {
        channel.close();
        server.close();
    }
}
