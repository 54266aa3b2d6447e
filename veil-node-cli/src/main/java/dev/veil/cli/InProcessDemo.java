package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.ServerViews;
import dev.veil.node.TrustedNode;

/**
 * {@code serve} without {@code --weights-server}: the weights servers in this process, and the page's attacker view of
 * each request. The tools' (veil.jar, which hands it to serve); the trusted node jar has neither.
 */
interface InProcessDemo {
    /** The scheme's trusted node with its weights servers in this process. */
    TrustedNode open(Scheme scheme, Model model, String modelId);

    /** What the weights server received for a request and what the attack lab reads back from it. */
    ServerViews views(Model model, String modelId);
}
