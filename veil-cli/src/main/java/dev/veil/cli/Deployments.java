package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Channel;
import dev.veil.weights.InProcessWeightsServer;
import java.util.ArrayList;
import java.util.List;

/** A scheme's trusted node with its weights servers in this process: the tools' setting, which the node jar lacks. */
final class Deployments {
    private Deployments() {}

    /**
     * The scheme with its {@link Scheme#servers()} weights servers in this process; server i records its view to
     * {@code transcripts[i]} where one is given (not null).
     */
    static TrustedNode inProcess(Scheme scheme, Model model, String modelId, TranscriptWriter... transcripts) {
        List<Channel> servers = new ArrayList<>();
        for (int i = 0; i < scheme.servers(); i++) {
            servers.add(new InProcessWeightsServer(model, modelId, i < transcripts.length ? transcripts[i] : null));
        }
        return TrustedNodes.open(scheme, model, modelId, servers);
    }
}
