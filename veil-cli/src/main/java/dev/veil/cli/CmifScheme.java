package dev.veil.cli;

import dev.veil.attack.Observation;
import dev.veil.attack.Scheme;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.cmif.CmifNode;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/**
 * CMIF under attack: its real split runtime in-process (a weights server running the decoder stack and writing
 * its transcript, and a CMIF node sanitizing every prompt token but BOS). The attacker runs the same sanitizer
 * (public parameters) with its own randomness on its own text.
 */
record CmifScheme(Model model, String modelId, Sanitizer sanitizer) implements Scheme {
    @Override
    public String name() {
        return "cmif";
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        var server = new WeightsServer(modelId, model.config(), model.linear(), model.node(), transcript);
        var node = CmifNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)), sanitizer);
        return new Deployment() {
            @Override
            public VictimRun run(int[] prompt, int answerTokens) {
                boolean[] editable = new boolean[prompt.length];
                java.util.Arrays.fill(editable, 1, prompt.length, true);
                var result = node.generate(prompt, editable, answerTokens, Sampler.greedy(), t -> {});
                return new VictimRun(null, prompt, result.generated());
            }

            @Override
            public void close() {
                node.close();
                server.close();
            }
        };
    }

    @Override
    public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
        return victim(seed, transcript);
    }
}
