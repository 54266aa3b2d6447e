package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptEntry;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.protocol.transport.Traffic;
import dev.veil.weights.WeightsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real weights server (TCP) serves several trusted nodes at once, each running sessions concurrently over its
 * one connection; its transcript interleaves them all. The lab attributes every call to a sequence from what the
 * server sees, and the test checks that against the truth, which a tap on each node's channel records (which
 * session sent which masked rows; the server never sees it).
 */
class ConcurrentSessionsTest {
    static final String STORY = "Lily saw a big red ball in the park and she ran to get it but a dog took the ball and ran away so Lily "
            + "sat down under a tree and cried until her mom came with a cake and a new ball for her to play with";
    /** Prompts of distinct lengths (4, 6, 8, ... words of one story). */
    static final String[] TEXT = java.util.stream.IntStream.range(0, 12)
            .mapToObj(i -> String.join(" ", Arrays.asList(STORY.split(" ")).subList(i, i + 4 + 2 * i))).toArray(String[]::new);

    @TempDir Path dir;

    /** Which session (node, session, prompt) sent each masked input, by content; the server cannot see it. */
    static final class Tap {
        final Map<String, String> sender = new ConcurrentHashMap<>();
        final ThreadLocal<String> label = new ThreadLocal<>();

        Channel wrap(Channel channel) {
            return new Channel() {
                @Override
                public Message exchange(Message request) {
                    if (request instanceof Message.Linear l) sender.put(fingerprint(l.matrix().toString(), l.input()), label.get());
                    return channel.exchange(request);
                }

                @Override
                public Traffic traffic() {
                    return channel.traffic();
                }

                @Override
                public void close() {
                    channel.close();
                }
            };
        }
    }

    static String fingerprint(String matrix, Rows rows) {
        int h = switch (rows) {
            case Rows.Floats f -> Arrays.hashCode(f.data());
            case Rows.RingElements r -> Arrays.hashCode(r.data());
        };
        return matrix + "/" + rows.rows() + "/" + h;
    }

    record Outcome(int sequences, int trueSequences, double callAccuracy, int exactSequences, int passes, int purePasses,
                   int purePrefills, double tra, double traTrue, double answerTra, double answerTraTrue) {
        void print(String what) {
            System.out.printf("%s: %d sequences found of %d, %d exact, %d prefills from one session; calls attributed right "
                    + "%.2f%%; forward passes from one session %d of %d; null-space TRA prompt %.2f%% answer %.2f%% (true attribution "
                    + "%.2f%%, %.2f%%)%n", what, sequences, trueSequences, exactSequences, purePrefills, 100 * callAccuracy, purePasses,
                    passes, 100 * tra, 100 * answerTra, 100 * traTrue, 100 * answerTraTrue);
        }
    }

    /** Four nodes at once, each on its own connection, each running its prompts one after another: exact. */
    @Test
    void attributesConcurrentNodesExactly() throws Exception {
        Outcome o = run(4, 1, 2);
        o.print("4 nodes x 1 session");
        assertEquals(o.trueSequences, o.sequences);
        assertEquals(o.trueSequences, o.exactSequences);
        assertEquals(1.0, o.callAccuracy);
        assertEquals(o.traTrue, o.tra, 1e-12);
    }

    /**
     * Two sessions at once on each of three connections. The server cuts every forward pass out right (a pass is a
     * chain of calls with one row count) and every prefill starts the right sequence, but two sessions decoding in
     * step on one connection send identical-looking one-row passes: which pass continues which sequence the
     * metadata cannot tell, and first-in-first-out is a guess.
     */
    @Test
    void attributesInterleavedSessionsPassByPass() throws Exception {
        Outcome o = run(3, 2, 2);
        o.print("3 nodes x 2 sessions");
        assertEquals(o.trueSequences, o.sequences);
        assertEquals(o.sequences, o.purePrefills);
        assertEquals(o.traTrue, o.tra, 1e-12);
    }

    Outcome run(int nodes, int sessionsPerNode, int promptsPerSession) throws Exception {
        var model = Stories.MODEL;
        // Concurrent prefills of one length on one connection would be as ambiguous as decode steps; these differ.
        assertEquals(TEXT.length, Arrays.stream(TEXT).mapToInt(t -> Stories.prompt(t).length).distinct().count());
        Path file = dir.resolve("live.transcript");
        var tap = new Tap();
        Map<String, VictimRun> truth = new ConcurrentHashMap<>();
        try (var writer = new TranscriptWriter(file, "stories", ModelDims.of(model.config()));
             var weights = new WeightsServer("stories", model.config(), model.linear(), writer);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null)) {
            List<RemoNode> remo = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                var channel = tap.wrap(TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(30)));
                remo.add(RemoNode.connect(model, "stories", channel, RemoConfig.of(MaskSize.fraction(0.125), Numeric.FLOAT)));
            }
            List<Thread> threads = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                for (int s = 0; s < sessionsPerNode; s++) {
                    RemoNode node = remo.get(n);
                    int first = (n * sessionsPerNode + s) * promptsPerSession;
                    String session = "node" + n + "/session" + s;
                    threads.add(Thread.ofPlatform().start(() -> {
                        for (int p = 0; p < promptsPerSession; p++) {
                            String label = session + "/prompt" + p;
                            tap.label.set(label);
                            int[] prompt = Stories.prompt(TEXT[(first + p) % TEXT.length]);
                            int[] answer = node.generator().generate(prompt, 6 + p, Sampler.greedy(), t -> {});
                            truth.put(label, new VictimRun(null, prompt, answer));
                        }
                    }));
                }
            }
            for (Thread t : threads) t.join();
            remo.forEach(RemoNode::close);
        }
        assertEquals(nodes * sessionsPerNode * promptsPerSession, truth.size());

        List<Observation> found = new ArrayList<>();
        Transcripts.stream(file, Transcripts.Keep.ALL, found::add);
        Map<String, List<Exchange>> grouped = new HashMap<>();
        int calls = 0, right = 0, exact = 0, passes = 0, pure = 0, purePrefills = 0;
        List<VictimRun> attributed = new ArrayList<>(), trueRuns = new ArrayList<>();
        for (Observation o : found) {
            // A sequence is the one whose prefill it starts with (its prompt positions); calls of others count as wrong.
            String label = sender(tap, o.exchanges().getFirst());
            Map<String, Integer> votes = new HashMap<>();
            java.util.Set<String> pass = new java.util.HashSet<>();
            boolean first = true;
            for (Exchange e : o.exchanges()) {
                votes.merge(sender(tap, e), 1, Integer::sum);
                if (e.site() == Site.LM_HEAD) {
                    // A prefill's layers carry its own row count; its one-row LM-head call looks like anyone's.
                    if (first && pass.equals(java.util.Set.of(label))) purePrefills++;
                    pass.add(sender(tap, e));
                    first = false;
                    passes++;
                    if (pass.size() == 1) pure++;
                    pass.clear();
                } else {
                    pass.add(sender(tap, e));
                }
            }
            calls += o.exchanges().size();
            right += votes.get(label);
            VictimRun t = truth.get(label);
            if (votes.size() == 1 && o.positions() == t.prompt().length + t.answer().length - 1) exact++;
            attributed.add(new VictimRun(o, t.prompt(), t.answer()));
        }
        // The same calls grouped by their true sender, in transcript order: what a perfect attribution gives.
        try (var reader = new TranscriptReader(file)) {
            for (TranscriptEntry t; (t = reader.next()) != null; ) {
                if (!(t.request() instanceof Message.Linear) || !(t.reply() instanceof Message.LinearReply)) continue;
                var key = Transcripts.key(t.matrix());
                var e = new Exchange(key.site(), key.layer(), t.input(), t.output());
                grouped.computeIfAbsent(sender(tap, e), k -> new ArrayList<>()).add(e);
            }
        }
        Observation any = found.getFirst();
        grouped.forEach((label, exchanges) -> trueRuns.add(new VictimRun(new Observation(exchanges, any.bases()),
                truth.get(label).prompt(), truth.get(label).answer())));
        var lab = new AttackLab(model, null);
        var attack = new NullSpaceProjectionAttack(new ShadowDecoder(model), Site.QKV, 0);
        var seen = lab.evaluate(attack, attributed, () -> {});
        var best = lab.evaluate(attack, trueRuns, () -> {});
        return new Outcome(found.size(), truth.size(), right / (double) calls, exact, passes, pure, purePrefills,
                seen.prompt().tra(), best.prompt().tra(), seen.answer().tra(), best.answer().tra());
    }

    private static String sender(Tap tap, Exchange e) {
        String label = tap.sender.get(fingerprint(Transcripts.matrix(e.site(), e.layer()).toString(), e.received()));
        if (label == null) throw new AssertionError("a call no session sent: " + e.site() + " " + e.layer());
        return label;
    }
}
