package dev.veil.cli;

import dev.veil.attack.Observation;
import dev.veil.attack.Scheme;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.MaskSize;
import dev.veil.node.RemoConfig;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/**
 * ReMO under attack: the victim is Talaria's real split runtime (a weights server that writes its transcript
 * and a trusted node, joined in-process); the attacker imitates it with {@link Scheme#simulatedRemo} on the
 * public bases it saw. The node's masks come from its DRBG, so the victim's secrets ignore the seed.
 */
record TalariaScheme(Model model, String modelId, double mFraction, Numeric numeric, double maskScale) implements Scheme {
    @Override
    public String name() {
        return "remo";
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        var server = new WeightsServer(modelId, model.config(), model.linear(), transcript);
        var node = TrustedNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)),
                new RemoConfig(MaskSize.fraction(mFraction), numeric, maskScale));
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
    public Deployment attacker(Observation victimView, long seed) {
        return Scheme.simulatedRemo(model, mFraction, numeric, maskScale).attacker(victimView, seed);
    }
}
