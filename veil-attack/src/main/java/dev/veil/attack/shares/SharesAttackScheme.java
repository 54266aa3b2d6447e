package dev.veil.attack.shares;

import dev.veil.attack.Observation;
import dev.veil.attack.AttackTarget;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.shares.SharesConfig;
import dev.veil.node.shares.SharesNode;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.time.Duration;

/**
 * Two-server shares under attack: the real shares node and two weights servers in-process; the transcript holds
 * one {@link ShareViews.View}: one server's view alone, or both joined as colluding servers would. The attacker's
 * own runs draw their own shares.
 */
record SharesAttackScheme(Model model, String modelId, SharesConfig config, ShareViews.View servers) implements AttackTarget {
    @Override
    public String name() {
        return "shares (" + servers.view.label() + ")";
    }

    @Override
    public View view() {
        return servers.view;
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        var views = new ShareViews(servers, transcript);
        var a = new WeightsServer(modelId, model.config(), model.linear(), null);
        var b = new WeightsServer(modelId, model.config(), model.linear(), null);
        var node = SharesNode.connect(model, modelId, new InMemoryChannel(views.wrap(0, a), Duration.ofSeconds(600)),
                new InMemoryChannel(views.wrap(1, b), Duration.ofSeconds(600)), config);
        views.checkRows(node::checkRows);
        return new Deployment() {
            @Override
            public VictimRun run(int[] prompt, int answerTokens) {
                return new VictimRun(null, prompt, node.generator().generate(prompt, answerTokens, Sampler.greedy(), t -> {}));
            }

            @Override
            public void close() {
                node.close();
                a.close();
                b.close();
            }
        };
    }

    @Override
    public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
        return victim(seed, transcript);
    }
}
