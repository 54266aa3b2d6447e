package dev.veil.node.otp;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import java.util.List;

/**
 * ReMO with one-time pads: every call masked uniformly over the ring, restoration terms made ahead of need on
 * the node (which holds the weights), replies checked with Freivalds' test. At the privacy floor; the default.
 */
public record OtpScheme(OtpConfig config) implements Scheme {
    public static final class Type implements SchemeType {
        @Override public String name() { return "remo-otp"; }

        @Override public String summary() { return "one-time-pad masks over the ring, replies checked; the node holds the weights (default)"; }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("numeric", "MODE", "exact (default) or z32"),
                    new SchemeOption("pool-rows", "N", "pad rows kept ready per weight matrix (default: "
                            + OtpConfig.DEFAULT_POOL_ROWS + ")"),
                    new SchemeOption("pool-batch", "N", "pad rows made per pass over a weight matrix (default: "
                            + OtpConfig.DEFAULT_BATCH_ROWS + ")"),
                    new SchemeOption("producers", "N", "background threads making pads; 0 makes each pad when needed (default: 1)"),
                    new SchemeOption("check-rate", "R", "share of calls checked with Freivalds' test (default: 1)"),
                    new SchemeOption("check-bits", "B", "a wrong checked reply passes with probability at most 2^-B (default: "
                            + OtpConfig.DEFAULT_CHECK_BITS + ")"),
                    new SchemeOption("rotate-after", "N", "checks of a matrix before its secret vectors are redrawn (default: "
                            + OtpConfig.DEFAULT_ROTATE_AFTER + ")"),
                    new SchemeOption("retries", "N", "fresh attempts after a reply fails its check (default: "
                            + OtpConfig.DEFAULT_RETRIES + ")"));
        }

        @Override
        public Scheme create(SchemeParams p) {
            Numeric numeric = p.numeric(Numeric.Z64);
            return new OtpScheme(new OtpConfig(numeric, p.integer("pool-rows", OtpConfig.DEFAULT_POOL_ROWS),
                    p.integer("pool-batch", OtpConfig.DEFAULT_BATCH_ROWS), p.integer("producers", 1), p.number("check-rate", 1),
                    p.integer("check-bits", OtpConfig.DEFAULT_CHECK_BITS), p.integer("rotate-after", OtpConfig.DEFAULT_ROTATE_AFTER),
                    p.integer("retries", OtpConfig.DEFAULT_RETRIES)));
        }
    }

    @Override public String trust() { return "TEE only: the attested node holds the weights and makes the pads"; }

    @Override public String name() { return "remo-otp"; }

    @Override public String describe() { return config.numeric().toString(); }

    @Override public ModelParts parts() { return ModelParts.ALL; }

    @Override public int servers() { return 1; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        if (servers.size() != 1) throw new IllegalArgumentException("remo-otp talks to one weights server, got " + servers.size());
        return OtpNode.connect(model, modelId, servers.getFirst(), config);
    }
}
