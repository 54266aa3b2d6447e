package dev.veil.node;

import java.util.Map;

/**
 * The demo page's view of one request from the weights server's seat: what the server received beside the plain
 * input, and what an attack reads back from it. The attack lab's instrument ({@code dev.veil.attack.AttackerViews}),
 * handed to the service by the tools' {@code veil serve}: it is no part of the trusted node, and the node jar has none.
 */
public interface ServerViews {
    /** A trusted node of {@code scheme} for one request, its weights server(s) recording what they receive. */
    View open(Scheme scheme);

    /** One request's recording node; open until the answer that describes it is written. */
    interface View extends AutoCloseable {
        TrustedNode node();

        /** What the server received and what the best attack read back, as JSON fields (nested maps, lists, numbers, strings). */
        Map<String, Object> describe(int[] prompt, int[] answer);

        @Override
        void close();
    }
}
