package dev.veil.cli;

import dev.veil.attack.AttackerViews;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.ServerViews;
import dev.veil.node.TrustedNode;

/** The tools' {@code serve} demo: weights servers in this process, and the attack lab's view of each request on the page. */
final class ToolsDemo implements InProcessDemo {
    @Override
    public TrustedNode open(Scheme scheme, Model model, String modelId) {
        return Deployments.inProcess(scheme, model, modelId);
    }

    @Override
    public ServerViews views(Model model, String modelId) {
        return new AttackerViews(model, modelId);
    }
}
