package dev.veil.cli.identity;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.node.ForwardSession;
import dev.veil.node.Greeting;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.Session;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.Traffic;
import java.util.Arrays;
import java.util.List;

/**
 * The seam test's scheme: the identity mask, every weight multiply sent to one weights server in the clear. It is
 * registered by one line ({@code src/test/seam/META-INF/services/dev.veil.node.SchemeType}) and named nowhere else.
 */
public record IdentityScheme(int rowsPerCall) implements Scheme {
    public static final class Type implements SchemeType {
        @Override public String name() { return "identity"; }

        @Override public String summary() { return "the activations in the clear to one weights server (hides nothing)"; }

        @Override
        public List<SchemeOption> options() {
            return List.of(new SchemeOption("rows-per-call", "N", "activation rows sent per call (default: 64)"));
        }

        @Override
        public Scheme create(SchemeParams p) {
            return new IdentityScheme(p.integer("rows-per-call", 64));
        }
    }

    @Override public String name() { return "identity"; }

    @Override public String describe() { return rowsPerCall + " rows per call"; }

    @Override public ModelParts parts() { return ModelParts.NODE; }

    @Override public int servers() { return 1; }

    @Override public String trust() { return "none: the weights server sees every activation"; }

    @Override
    public TrustedNode open(Model model, String modelId, List<Channel> servers) {
        Channel server = servers.getFirst();
        Greeting.greet(model, modelId, server);
        LinearOps clear = (p, layer, x, n, out) -> {
            int in = p.inDim(model.config()), outDim = p.outDim(model.config());
            for (int r = 0; r < n; r += rowsPerCall) {
                int k = Math.min(rowsPerCall, n - r);
                var rows = new Rows.Floats(k, in, Arrays.copyOfRange(x, r * in, (r + k) * in));
                var reply = server.call(new Message.Linear(new MatrixId(p, p.perLayer() ? layer : 0), rows), Message.LinearReply.class);
                System.arraycopy(((Rows.Floats) reply.output()).data(), 0, out, r * outDim, k * outDim);
            }
        };
        Scheme scheme = this;
        return new TrustedNode() {
            @Override public Scheme scheme() { return scheme; }

            @Override public Model model() { return model; }

            @Override public Session session() { return new ForwardSession(scheme, new Generator(model, clear), new Traffic()); }

            @Override public String setupReport() { return "[identity: activations in the clear to one weights server]"; }

            @Override public String workReport(long tokens) { return ""; }

            @Override public void close() { server.close(); }
        };
    }
}
