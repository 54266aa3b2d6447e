package dev.veil.node.plain;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.ForwardSession;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.Session;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.Traffic;
import java.util.List;

/** No protection: the node runs the whole model itself (float, or exactly over a ring); the baseline of every comparison. */
public record PlainScheme(Numeric numeric) implements Scheme {
    public static final class Type implements SchemeType {
        @Override public String name() { return "plain"; }

        @Override public String summary() { return "the engine alone, no weights server (the baseline; hides nothing from whoever runs it)"; }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("numeric", "MODE", "float (default) or exact (ring Z_2^64) or z32"));
        }

        @Override
        public Scheme create(SchemeParams params) {
            return new PlainScheme(params.numeric(Numeric.FLOAT));
        }
    }

    @Override public String name() { return "plain"; }

    @Override public String trust() { return "none: the node runs the whole model, no server"; }

    @Override public String describe() { return numeric.toString(); }

    @Override public ModelParts parts() { return ModelParts.ALL; }

    @Override public int servers() { return 0; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        if (!servers.isEmpty()) throw new IllegalArgumentException("the plain scheme talks to no weights server");
        if (model.linear() == null) throw new IllegalArgumentException("the plain scheme needs the model's weight matrices");
        LinearOps ops = numeric.plain(model.config(), model.linear());
        Scheme scheme = this;
        return new TrustedNode() {
            @Override public Scheme scheme() { return scheme; }

            @Override public Model model() { return model; }

            @Override public Session session() { return new ForwardSession(scheme, new Generator(model, ops), new Traffic()); }

            @Override public String setupReport() { return "[plain: the engine alone (" + numeric + ")]"; }

            @Override public String workReport(long tokens) { return ""; }

            @Override public void close() {}
        };
    }
}
