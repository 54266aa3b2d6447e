package dev.veil.attack;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.protocol.Rows;
import java.util.Arrays;

/**
 * Sits where the weights server sits: records every input it is asked to multiply and every output it returns,
 * then passes the call on. Around {@code LocalLinearOps} it is the view of a server running the model with no
 * protection; inside a masking scheme (between mask and restore) it is the view of that scheme's server.
 */
public final class ObservingLinearOps implements LinearOps {
    private final LinearOps server;
    private final Observation.Recorder recorder;
    private final LlamaConfig config;

    public ObservingLinearOps(LlamaConfig config, LinearOps server, Observation.Recorder recorder) {
        this.config = config;
        this.server = server;
        this.recorder = recorder;
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        server.apply(p, layer, x, n, out);
        int in = p.inDim(config), width = p.outDim(config);
        recorder.exchange(new Exchange(Site.of(p), p.perLayer() ? layer : 0,
                new Rows.Floats(n, in, Arrays.copyOf(x, n * in)), new Rows.Floats(n, width, Arrays.copyOf(out, n * width))));
    }
}
