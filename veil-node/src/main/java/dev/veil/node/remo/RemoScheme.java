package dev.veil.node.remo;

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
import java.util.Locale;

/**
 * ReMO as Talaria publishes it: every linear layer's input masked by a fresh combination of a public base of
 * rank m. Kept for comparison: the null-space attack recovers every prompt token from what the server sees.
 */
public record RemoScheme(RemoConfig config) implements Scheme {
    public static final String DEFAULT_M = "1/8";

    /** What the attack lab recovers from remo (docs/attacks.md); printed wherever remo is chosen. */
    public static final String WARNING = "remo leaks: the attack lab's null-space attack recovers 100% of prompt tokens from what the weights server "
            + "receives, at every m/d_in from 1/16 to 15/16 (docs/attacks.md); use remo-otp to hide the prompt";

    public static final class Type implements SchemeType {
        @Override public String name() { return "remo"; }

        @Override public String summary() { return "Talaria's ReMO masks (public bases of rank m); leaks to the null-space attack, for comparison only"; }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("m", List.of("--m-fraction"), "M",
                            "rank of each public base, a fraction of d_in (1/8, 0.125) or a count (8) (default: " + DEFAULT_M + ")"),
                    new SchemeOption("numeric", "MODE", "float (default) or exact (ring Z_2^64) or z32"),
                    new SchemeOption("mask-scale", "σ", "float mode: standard deviation of a mask entry (default: 1)"));
        }

        @Override
        public Scheme create(SchemeParams p) {
            return new RemoScheme(new RemoConfig(MaskSize.parse(p.get("m", DEFAULT_M)), p.numeric(Numeric.FLOAT),
                    p.number("mask-scale", RemoConfig.DEFAULT_MASK_SCALE)));
        }
    }

    @Override public String trust() { return "one server; leaks: the null-space attack recovers every prompt token"; }

    @Override public String name() { return "remo"; }

    @Override
    public String describe() {
        return config.size() + ", " + config.numeric() + (config.numeric().exact() ? "" : ", mask scale " + trim(config.maskScale()));
    }

    @Override public ModelParts parts() { return ModelParts.NODE; }

    @Override public int servers() { return 1; }

    @Override public String warning() { return WARNING; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        if (servers.size() != 1) throw new IllegalArgumentException("remo talks to one weights server, got " + servers.size());
        return RemoNode.connect(this, model, modelId, servers.getFirst());
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
