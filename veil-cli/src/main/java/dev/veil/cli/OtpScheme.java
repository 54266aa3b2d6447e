package dev.veil.cli;

import dev.veil.attack.Observation;
import dev.veil.attack.Scheme;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.otp.OtpNode;
import dev.veil.node.otp.OtpConfig;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/**
 * ReMO with one-time pads under attack: the real one-time-pad node and a weights server writing its transcript,
 * in-process. There is no public base to project out; the attacker's own runs use its own pads.
 */
record OtpScheme(Model model, String modelId, Numeric numeric) implements Scheme {
    @Override
    public String name() {
        return "remo-otp";
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        var server = new WeightsServer(modelId, model.config(), model.linear(), transcript);
        var node = OtpNode.connect(model, modelId, new InMemoryChannel(server, Duration.ofSeconds(600)), OtpConfig.of(numeric));
        return new Deployment() {
            @Override
            public VictimRun run(int[] prompt, int answerTokens) {
                return new VictimRun(null, prompt, node.generator().generate(prompt, answerTokens, Sampler.greedy(), t -> {}));
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
