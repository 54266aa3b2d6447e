package dev.veil.bench.frontier;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.bench.ServerProcess;
import dev.veil.bench.ThreadsCpu;
import dev.veil.node.Scheme;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Message;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.Traffic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The x axis of the privacy frontier: the trusted node's CPU per token under each scheme, in one run, runs
 * interleaved. Each scheme is opened as deployed, against its weights servers in child processes on loopback TCP,
 * so this process's threads' CPU is the node's alone (the sessions' background work, such as remo-otp's pads, is
 * waited for and counted: {@link TrustedNode#settle()}). A run is one greedy session of {@code tokens} tokens after a
 * short prompt; medians of the timed runs, after one warm-up.
 */
public final class FrontierCost {
    /**
     * One scheme's cost: node CPU and wall time per token (medians), and its session's privacy line and share of the
     * prompt sent verbatim (CMIF), or null.
     */
    public record Cost(Scheme scheme, double cpuMsPerToken, double wallMsPerToken, String privacy, String verbatim) {}

    private FrontierCost() {}

    /**
     * @param text       the prompt, after BOS (the user's text: a sanitizer may change it)
     * @param serverMain the main class whose {@code weights-server} command the server processes run
     */
    public static List<Cost> measure(Path modelPath, Path tokenizer, List<Scheme> schemes, String text, int tokens, int repetitions,
            String serverMain) throws Exception {
        if (tokens < 1 || repetitions < 1) throw new IllegalArgumentException("need at least one token and one run");
        Model model = ModelLoader.load(modelPath, tokenizer);
        String id = modelPath.getFileName().toString();
        int[] words = model.tokenizer().encode(text), prompt = new int[words.length + 1];
        prompt[0] = model.tokenizer().bos();
        System.arraycopy(words, 0, prompt, 1, words.length);
        boolean[] editable = new boolean[prompt.length];
        Arrays.fill(editable, 1, prompt.length, true);
        List<ServerProcess> servers = new ArrayList<>();
        List<TrustedNode> nodes = new ArrayList<>();
        try {
            for (Scheme s : schemes) {
                List<Channel> channels = new ArrayList<>();
                for (int i = 0; i < s.servers(); i++) {
                    var server = ServerProcess.start(modelPath, id, serverMain);
                    servers.add(server);
                    channels.add(new LazyChannel(server.port));
                }
                nodes.add(s.open(model, id, channels));
            }
            double[][] cpu = new double[schemes.size()][repetitions], wall = new double[schemes.size()][repetitions];
            String[] privacy = new String[schemes.size()], verbatim = new String[schemes.size()];
            for (int r = -1; r < repetitions; r++) { // run -1: the warm-up
                for (int k = 0; k < nodes.size(); k++) {
                    var node = nodes.get(k);
                    try (var session = node.session()) {
                        long c0 = ThreadsCpu.nanos(), t0 = System.nanoTime();
                        session.generate(prompt, editable, tokens, Sampler.greedy(), t -> {});
                        long t1 = System.nanoTime();
                        node.settle();
                        long c1 = ThreadsCpu.nanos();
                        privacy[k] = session.report().privacy();
                        verbatim[k] = session.report().verbatim();
                        if (r < 0) continue;
                        cpu[k][r] = (c1 - c0) / 1e6 / tokens;
                        wall[k][r] = (t1 - t0) / 1e6 / tokens;
                    }
                }
            }
            List<Cost> costs = new ArrayList<>();
            for (int k = 0; k < schemes.size(); k++) {
                costs.add(new Cost(schemes.get(k), median(cpu[k]), median(wall[k]), privacy[k], verbatim[k]));
            }
            return costs;
        } finally {
            nodes.forEach(TrustedNode::close);
            servers.forEach(ServerProcess::close);
        }
    }

    /**
     * Connects at its first call: a scheme may work a while before its greeting (remo-otp quantizes the weights, CMIF
     * builds its sanitizer), longer than a server waits for HELLO after a connection opens.
     */
    private static final class LazyChannel implements Channel {
        private final int port;
        private Channel channel;

        LazyChannel(int port) {
            this.port = port;
        }

        private synchronized Channel channel() {
            if (channel == null) channel = TcpChannel.connect("127.0.0.1", port, null, Duration.ofSeconds(600));
            return channel;
        }

        @Override public Message exchange(Message request) { return channel().exchange(request); }

        @Override public Traffic traffic() { return channel().traffic(); }

        @Override
        public synchronized void close() {
            if (channel != null) channel.close();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

}
