package dev.veil.node.shares;

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
 * Two-server additive secret sharing over the ring: X − R to weights server A, R to weights server B, the node
 * adds the replies. At the privacy floor against either server alone; the node holds no weight matrix.
 */
public record SharesScheme(SharesConfig config) implements Scheme {
    public static final class Type implements SchemeType {
        @Override public String name() { return "shares"; }

        @Override
        public String summary() {
            return "additive secret shares over the ring to two weights servers that must not collude; the node holds no weights";
        }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("numeric", "MODE", "exact (default) or z32"),
                    new SchemeOption("check-bits", "B", "a wrong checked reply passes with probability at most 2^-B; 0 sends no "
                            + "check rows (default: " + SharesConfig.DEFAULT_CHECK_BITS + ")"),
                    new SchemeOption("retries", "N", "fresh attempts after a reply fails its check (default: "
                            + SharesConfig.DEFAULT_RETRIES + ")"),
                    new SchemeOption("share-b", "HOW",
                            "how server B's share travels: seed (32 bytes B expands itself, the default) or rows"));
        }

        @Override
        public Scheme create(SchemeParams p) {
            return new SharesScheme(new SharesConfig(p.numeric(Numeric.Z64), p.integer("check-bits", SharesConfig.DEFAULT_CHECK_BITS),
                    p.integer("retries", SharesConfig.DEFAULT_RETRIES), shareB(p.get("share-b", "seed"))));
        }
    }

    private static boolean shareB(String how) {
        return switch (how) {
            case "seed" -> true;
            case "rows" -> false;
            default -> throw new IllegalArgumentException("--share-b takes seed or rows, got '" + how + "'");
        };
    }

    @Override public String trust() { return "two weights servers that do not collude"; }

    @Override public String name() { return "shares"; }

    @Override
    public String describe() {
        return config.numeric() + ", " + (config.checkBits() == 0 ? "no check rows" : "checked to 2^-" + config.checkBits())
                + (config.seedB() ? "" : ", B's share as rows");
    }

    @Override public ModelParts parts() { return ModelParts.NODE; }

    @Override public int servers() { return 2; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        if (servers.size() != 2) throw new IllegalArgumentException("shares talks to two weights servers, got " + servers.size());
        return SharesNode.connect(model, modelId, servers.get(0), servers.get(1), config);
    }
}
