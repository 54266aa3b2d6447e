package dev.veil.cli;

import dev.veil.attack.Observation;
import dev.veil.attack.Scheme;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/**
 * ReMO under attack: the victim is Talaria's real split runtime (a weights server that writes its transcript
 * and a trusted node, joined in-process); the attacker imitates it with {@link Scheme#simulatedRemo} on the
 * public bases it saw. The node's masks come from its DRBG, so the victim's secrets ignore the seed. {@code m}
 * is a fraction of d_in when below 1, else the rank of every base.
 */
record TalariaScheme(Model model, String modelId, double m, Numeric numeric, double maskScale) implements Scheme {
    @Override
    public String name() {
        return "remo";
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        var server = new WeightsServer(modelId, model.config(), model.linear(), transcript);
        var node = RemoNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)),
                new RemoConfig(m < 1 ? MaskSize.fraction(m) : MaskSize.rows((int) m), numeric, maskScale));
        return new Deployment() {
            @Override
            public VictimRun run(int[] prompt, int answerTokens) {
                int[] answer = node.generator().generate(prompt, answerTokens, Sampler.greedy(), t -> {});
                return new VictimRun(null, prompt, answer);
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
        return Scheme.simulatedRemo(model, m, numeric, maskScale).attacker(victimView, seed, transcript);
    }
}
